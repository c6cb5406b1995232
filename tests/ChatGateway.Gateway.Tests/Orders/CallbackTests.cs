using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.FollowUps.Callbacks;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>
/// An agent promises a customer an answer by a time: whoever has the conversation is reminded shortly before; when the
/// time passes without an agent's answer the conversation is flagged and the supervisors are alerted. A fake clock; the
/// test fires what is due (FireDueAsync) as the scheduler's job does.
/// </summary>
public sealed class CallbackTests
{
    private static readonly DateTimeOffset Opening = ShopOrders.ShopTime(2026, 12, 7, 10, 0);

    [Fact]
    public async Task APromise_RemindsTheAgentTenMinutesBefore_WithTheNote_AndIsKeptWhenTheyAnswered()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);

        var response = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt = "2026-12-07T11:00:00+08:00", note = "查一下仓库，11点前回电" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var promise = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("callback", promise.GetProperty("kind").GetString());
        Assert.Equal("planned", promise.GetProperty("status").GetString());
        Assert.Equal(2, promise.GetProperty("step").GetInt32());
        Assert.Equal("2026-12-07T11:00:00+08:00", promise.GetProperty("dueAt").GetString());
        Assert.Equal("查一下仓库，11点前回电", promise.GetProperty("note").GetString());
        var rows = await CallbacksAsync(shop);
        Assert.Equal([(1, ShopOrders.ShopTime(2026, 12, 7, 10, 50)), (2, ShopOrders.ShopTime(2026, 12, 7, 11, 0))], rows.Select(r => (r.Step, r.DueAt)));
        Assert.All(rows, r => Assert.Equal((bob.Agent.Id, conversation), (r.AgentId!.Value, r.ConversationId!.Value)));

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 49));
        Assert.Equal(FollowUpStatus.Planned, (await CallbacksAsync(shop))[0].Status);

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 50));
        var reminder = await bob.NextPromiseDueAsync();
        Assert.Equal((conversation, "查一下仓库，11点前回电", "Bob"), (reminder.ConversationId, reminder.Note, reminder.AgentName));
        Assert.Equal(ShopOrders.ShopTime(2026, 12, 7, 11, 0), reminder.DueAt);
        Assert.Equal(TimeSpan.FromHours(8), reminder.DueAt.Offset);
        Assert.Equal((FollowUpStatus.Sent, "agent reminded"), ((await CallbacksAsync(shop))[0].Status, (await CallbacksAsync(shop))[0].Reason));

        await bob.ReplyAsync(conversation, "仓库还有货，今天发出");
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        var kept = (await CallbacksAsync(shop))[1];
        Assert.Equal((FollowUpStatus.Sent, "kept"), (kept.Status, kept.Reason));
        await using var db = shop.Host.CreateDbContext();
        Assert.False((await db.Conversations.SingleAsync(c => c.Id == conversation)).NeedsSupervisor);
        await using var alice = await shop.Host.SignInAsync("alice", online: false);
        var listed = Assert.Single(await PromisesAsync(alice));
        Assert.Equal(("kept", "Bob", conversation), (listed.State, listed.AgentName, listed.ConversationId!.Value));
    }

    [Fact]
    public async Task AnUnkeptPromise_FlagsTheConversationForTheSupervisor_AndAlertsTheSupervisorAndTheAgent()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        await using var alice = await shop.Host.SignInAsync("alice", online: false);
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt = "2026-12-07T11:00:00+08:00", note = "退款进度" })).StatusCode);
        Assert.Equal("planned", Assert.Single(await PromisesAsync(alice)).State);

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));

        var toSupervisor = await alice.NextPromiseUnkeptAsync();
        Assert.Equal((conversation, "退款进度", "Bob"), (toSupervisor.ConversationId, toSupervisor.Note, toSupervisor.AgentName));
        Assert.Equal(conversation, (await bob.NextPromiseUnkeptAsync()).ConversationId);
        var unkept = (await CallbacksAsync(shop))[1];
        Assert.Equal((FollowUpStatus.Skipped, "unkept: no answer by 11:00"), (unkept.Status, unkept.Reason));
        var overview = (await alice.Http.GetFromJsonAsync<OverviewDto>("/api/supervisor/overview"))!;
        Assert.Contains(overview.Flagged, c => c.Id == conversation);
        await using (var db = shop.Host.CreateDbContext())
        {
            // Why it is flagged, in the thread for whoever opens it.
            var note = await db.Messages.AsNoTracking().SingleAsync(m => m.ConversationId == conversation && m.Direction == MessageDirection.Note);
            Assert.Equal("承诺未兑现 Promise not kept: Bob promised an answer by 11:00 (退款进度); no agent wrote to the customer since. Supervisors were alerted.", note.Text);
        }

        var listed = Assert.Single(await PromisesAsync(alice));
        Assert.Equal(("unkept", "unkept: no answer by 11:00"), (listed.State, listed.Reason));
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.GetAsync("/api/supervisor/promises")).StatusCode);
    }

    [Fact]
    public async Task AReminder_WhosePromiseAnAgentAnsweredAlready_RemindsNobody()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        await PromiseAsync(bob, conversation, "2026-12-07T11:00:00+08:00");
        shop.Clock.SetUtcNow(ShopOrders.ShopTime(2026, 12, 7, 10, 30));
        await bob.ReplyAsync(conversation, "查到了，明天到货");
        await using var published = await PublishedEvents.StartAsync(shop.Host);

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));

        Assert.DoesNotContain(await published.SoFarAsync(), e => e.Type is GatewayEventTypes.PromiseDue or GatewayEventTypes.PromiseUnkept);
        Assert.Equal(
            [(FollowUpStatus.Skipped, "kept already: an agent answered the customer"), (FollowUpStatus.Sent, "kept")],
            (await CallbacksAsync(shop)).Select(r => (r.Status, r.Reason)));
    }

    [Fact]
    public async Task AfterATransfer_TheReminderGoesToTheAgentWhoHasTheConversationNow()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        // Answered, so the customer is not left waiting for a reply (which would hand the conversation on by itself).
        await bob.ReplyAsync(conversation, "稍等，我去仓库确认发货时间");
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt = "2026-12-07T11:00:00+08:00", note = "确认发货时间" })).StatusCode);
        await using var carol = await shop.Host.SignInAsync("carol");
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/transfer", new { toAgent = "carol" })).StatusCode);
        Assert.Equal(conversation, (await carol.NextAssignedAsync()).Id);

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 50));

        var reminder = await carol.NextPromiseDueAsync();
        Assert.Equal((conversation, "确认发货时间"), (reminder.ConversationId, reminder.Note));
        // One publish reached carol's desk; had it gone to bob it would have come with it. (No rule is timed by this wait.)
        await Task.Delay(300);
        Assert.Equal(0, bob.PromisesDueUnread);
    }

    [Fact]
    public async Task APromiseDueSooner_ThanTheReminderLead_RemindsAtOnce_AndRemindBeforeIsConfigurable()
    {
        await using var shop = await ShopOrders.StartAsync(Opening, new Dictionary<string, string?> { ["Callbacks:RemindBefore"] = "00:30:00" });
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt = "2026-12-07T10:20:00+08:00", note = "马上查" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt = "2026-12-07T04:00:00Z", note = "中午前" })).StatusCode);

        var reminders = (await CallbacksAsync(shop)).Where(r => r.Step == 1).OrderBy(r => r.DueAt).Select(r => r.DueAt).ToList();
        Assert.Equal([Opening, ShopOrders.ShopTime(2026, 12, 7, 11, 30)], reminders);
    }

    [Fact]
    public async Task ACancelledPromise_RemindsNobody()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        var promise = await (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt = "2026-12-07T10:30:00+08:00", note = "回电" })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/follow-ups/{promise.GetProperty("id").GetGuid()}/cancel", new { reason = "客户不需要了" })).StatusCode);

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 20));

        // Cancelled with its promise, so it never fires.
        var reminder = (await CallbacksAsync(shop))[0];
        Assert.Equal((FollowUpStatus.Cancelled, "客户不需要了"), (reminder.Status, reminder.Reason));
        Assert.Equal(0, bob.PromisesDueUnread);
    }

    /// <summary>
    /// Moving the promise moves its reminder (RemindBefore before the new time): nothing reminds at the old time, the
    /// reminder comes before the new one. Moving the reminder moves the promise. Moving it once reminded plans a new
    /// reminder; moving it closer than RemindBefore reminds at once, as a promise made that close does.
    /// </summary>
    [Fact]
    public async Task MovingAPromiseOrItsReminder_MovesBoth_AndTheAgentIsRemindedBeforeTheNewTime()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        var promise = await PromiseAsync(bob, conversation, "2026-12-07T11:00:00+08:00");
        var reminder = (await CallbacksAsync(shop))[0].Id;
        await using var published = await PublishedEvents.StartAsync(shop.Host);

        var moved = await MoveAsync(bob, promise, "2026-12-07T15:00:00+08:00");
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("2026-12-07T15:00:00+08:00", (await moved.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("dueAt").GetString());
        Assert.Equal([(1, ShopOrders.ShopTime(2026, 12, 7, 14, 50)), (2, ShopOrders.ShopTime(2026, 12, 7, 15, 0))], (await CallbacksAsync(shop)).Select(r => (r.Step, r.DueAt)));

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        Assert.DoesNotContain(await published.SoFarAsync(), e => e.Type is GatewayEventTypes.PromiseDue or GatewayEventTypes.PromiseUnkept);
        Assert.All(await CallbacksAsync(shop), r => Assert.Equal(FollowUpStatus.Planned, r.Status));

        // The reminder's own time asked for: the promise follows, RemindBefore after it.
        Assert.Equal(HttpStatusCode.OK, (await MoveAsync(bob, reminder, "2026-12-07T13:00:00+08:00")).StatusCode);
        Assert.Equal([(1, ShopOrders.ShopTime(2026, 12, 7, 13, 0)), (2, ShopOrders.ShopTime(2026, 12, 7, 13, 10))], (await CallbacksAsync(shop)).Select(r => (r.Step, r.DueAt)));

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 13, 0));
        var due = await bob.NextPromiseDueAsync();
        Assert.Equal(ShopOrders.ShopTime(2026, 12, 7, 13, 10), due.DueAt);

        // Reminded already, then moved: reminded again before the new time.
        Assert.Equal(HttpStatusCode.OK, (await MoveAsync(bob, promise, "2026-12-07T16:00:00+08:00")).StatusCode);
        var rows = await CallbacksAsync(shop);
        Assert.Equal(
            [(1, FollowUpStatus.Sent, ShopOrders.ShopTime(2026, 12, 7, 13, 0)), (1, FollowUpStatus.Planned, ShopOrders.ShopTime(2026, 12, 7, 15, 50)), (2, FollowUpStatus.Planned, ShopOrders.ShopTime(2026, 12, 7, 16, 0))],
            rows.OrderBy(r => r.Step).ThenBy(r => r.DueAt).Select(r => (r.Step, r.Status, r.DueAt)));

        // Closer than RemindBefore: at once.
        Assert.Equal(HttpStatusCode.OK, (await MoveAsync(bob, promise, "2026-12-07T13:05:00+08:00")).StatusCode);
        Assert.Contains(await CallbacksAsync(shop), r => r.Step == 1 && r.Status == FollowUpStatus.Planned && r.DueAt == shop.Now);
        await shop.FireDueAsync(shop.Now);
        Assert.Equal(ShopOrders.ShopTime(2026, 12, 7, 13, 5), (await bob.NextPromiseDueAsync()).DueAt);
    }

    /// <summary>Cancelling the promise or its reminder cancels both: nobody is reminded, nobody alerted, the supervisor sees it cancelled.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task CancellingAPromiseOrItsReminder_CancelsBoth(int step)
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        await PromiseAsync(bob, conversation, "2026-12-07T11:00:00+08:00");
        var addressed = (await CallbacksAsync(shop)).Single(r => r.Step == step).Id;
        await using var published = await PublishedEvents.StartAsync(shop.Host);

        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/follow-ups/{addressed}/cancel", new { reason = "客户自己找到了" })).StatusCode);

        Assert.All(await CallbacksAsync(shop), r => Assert.Equal((FollowUpStatus.Cancelled, "客户自己找到了"), (r.Status, r.Reason)));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 12, 0));
        Assert.DoesNotContain(await published.SoFarAsync(), e => e.Type is GatewayEventTypes.PromiseDue or GatewayEventTypes.PromiseUnkept);
        await using var alice = await shop.Host.SignInAsync("alice", online: false);
        Assert.Equal("cancelled", Assert.Single(await PromisesAsync(alice)).State);
        var again = await bob.Http.PostAsJsonAsync($"/api/follow-ups/{addressed}/move", new { dueAt = "2026-12-07T15:00:00+08:00" });
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("the promise is cancelled already", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    /// <summary>A promise moved beyond 30 days (itself or through its reminder), or one already kept, is refused and nothing moves.</summary>
    [Fact]
    public async Task MovingAPromise_TooFarOrWhenKept_IsRefused_AndChangesNothing()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        var promise = await PromiseAsync(bob, conversation, "2026-12-07T11:00:00+08:00");
        var reminder = (await CallbacksAsync(shop))[0].Id;
        var before = (await CallbacksAsync(shop)).Select(r => (r.Step, r.DueAt, r.Status)).ToList();

        foreach (var (id, due, error) in new[]
        {
            (promise, "2027-01-07T10:00:00+08:00", "dueAt is more than 30 days ahead"),
            (reminder, "2027-01-06T09:55:00+08:00", "dueAt puts the promise more than 30 days ahead"),
            (promise, "2026-12-07T09:00:00+08:00", "dueAt is in the past"),
            (promise, "2026-12-07T15:00:00", "dueAt must be a time with its offset"),
        })
        {
            var response = await MoveAsync(bob, id, due);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(error, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        Assert.Equal(before, (await CallbacksAsync(shop)).Select(r => (r.Step, r.DueAt, r.Status)));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 50));
        await bob.ReplyAsync(conversation, "查到了，今天发货");
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        var kept = await MoveAsync(bob, reminder, "2026-12-07T15:00:00+08:00");
        Assert.Equal(HttpStatusCode.Conflict, kept.StatusCode);
        Assert.Contains("the promise is kept already", (await kept.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal([FollowUpStatus.Sent, FollowUpStatus.Sent], (await CallbacksAsync(shop)).Select(r => r.Status));
    }

    /// <summary>
    /// The firer's transaction fails to record the unkept promise (a trigger in the store refuses the write, as a full disk
    /// or a lost connection would): nobody is alerted and the promise stays planned. Fired again, twice at once as two
    /// instances would, it alerts exactly once.
    /// </summary>
    [Fact]
    public async Task AnUnkeptPromise_AlertsOnlyAfterItsOutcomeIsCommitted_AndOnceWhenFiredTwiceAtOnce()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt = "2026-12-07T11:00:00+08:00", note = "退款进度" })).StatusCode);
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 50));
        var promise = (await CallbacksAsync(shop))[1].Id;
        await using var alerts = await PublishedEvents.StartAsync(shop.Host);
        var firer = shop.Host.Services.GetRequiredService<IFollowUpFirer>();
        shop.Clock.SetUtcNow(ShopOrders.ShopTime(2026, 12, 7, 11, 0));

        await using (var db = shop.Host.CreateDbContext())
        {
            await db.Database.ExecuteSqlRawAsync(GatewayHost.DefaultStore == StoreProvider.PostgreSql
                ? """
                  CREATE FUNCTION refuse_unkept() RETURNS trigger AS $$ BEGIN IF NEW."Reason" LIKE 'unkept%' THEN RAISE EXCEPTION 'the store refuses the write'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql;
                  CREATE TRIGGER refuse_unkept BEFORE UPDATE ON "FollowUps" FOR EACH ROW EXECUTE FUNCTION refuse_unkept();
                  """
                : """CREATE TRIGGER refuse_unkept BEFORE UPDATE ON "FollowUps" WHEN NEW."Reason" LIKE 'unkept%' BEGIN SELECT RAISE(ABORT, 'the store refuses the write'); END;""");
        }

        await Assert.ThrowsAnyAsync<Exception>(() => firer.FireAsync(promise, CancellationToken.None));

        Assert.DoesNotContain(await alerts.SoFarAsync(), e => e.Type == GatewayEventTypes.PromiseUnkept);
        var after = (await CallbacksAsync(shop))[1];
        Assert.Equal(FollowUpStatus.Planned, after.Status);
        await using (var db = shop.Host.CreateDbContext())
        {
            Assert.False((await db.Conversations.SingleAsync(c => c.Id == conversation)).NeedsSupervisor);
            await db.Database.ExecuteSqlRawAsync(GatewayHost.DefaultStore == StoreProvider.PostgreSql ? "DROP TRIGGER refuse_unkept ON \"FollowUps\"" : "DROP TRIGGER refuse_unkept");
        }

        var outcomes = await Task.WhenAll(firer.FireAsync(promise, CancellationToken.None), firer.FireAsync(promise, CancellationToken.None));

        Assert.Single(outcomes, o => o is not null);
        var unkept = Assert.Single(await alerts.SoFarAsync(), e => e.Type == GatewayEventTypes.PromiseUnkept);
        Assert.Equal((conversation, promise, bob.Agent.Id), (unkept.ConversationId, unkept.MessageId!.Value, unkept.AgentId!.Value));
        Assert.Equal((FollowUpStatus.Skipped, "unkept: no answer by 11:00"), ((await CallbacksAsync(shop))[1].Status, (await CallbacksAsync(shop))[1].Reason));
    }

    [Theory]
    [InlineData("-00:01:00")]
    [InlineData("2.00:00:00")]
    public void Start_BadRemindBefore_FailsNamingTheKey(string value)
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?> { ["Callbacks:RemindBefore"] = value });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as OptionsValidationException ?? ex.InnerException as OptionsValidationException ?? throw ex).Message;
        Assert.Contains("Callbacks:RemindBefore must be between", message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Bad inputs tried: a time without offset, a date only, not a time, a number, no dueAt, the past, now, 31 days ahead,
    /// no note, an empty and a blank note, a 501-character note, a note that is a number, a body that is not JSON, a text/plain
    /// body, a JSON array; someone else's conversation and an unknown one (404). Nothing is stored for any of them.
    /// </summary>
    [Fact]
    public async Task BadPromises_AreRefusedNamingTheField_AndStoreNothing()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerWritesAsync(shop, bob);
        await using var carol = await shop.Host.SignInAsync("carol");
        var url = $"/api/conversations/{conversation}/promises";
        (string Body, string Field)[] bad =
        [
            ("{\"dueAt\":\"2026-12-07T11:00:00\",\"note\":\"x\"}", "dueAt must be a time with its offset"),
            ("{\"dueAt\":\"2026-12-07\",\"note\":\"x\"}", "dueAt must be a time with its offset"),
            ("{\"dueAt\":\"tomorrow\",\"note\":\"x\"}", "dueAt must be a time with its offset"),
            ("{\"dueAt\":1765076400,\"note\":\"x\"}", "dueAt is required"),
            ("{\"note\":\"x\"}", "dueAt is required"),
            ("{\"dueAt\":\"2026-12-07T09:59:00+08:00\",\"note\":\"x\"}", "dueAt is in the past"),
            ("{\"dueAt\":\"2026-12-07T10:00:00+08:00\",\"note\":\"x\"}", "dueAt is in the past"),
            ("{\"dueAt\":\"2027-01-07T10:00:00+08:00\",\"note\":\"x\"}", "dueAt is more than 30 days ahead"),
            ("{\"dueAt\":\"2026-12-07T11:00:00+08:00\"}", "note is required"),
            ("{\"dueAt\":\"2026-12-07T11:00:00+08:00\",\"note\":\"\"}", "note is required"),
            ("{\"dueAt\":\"2026-12-07T11:00:00+08:00\",\"note\":\"   \"}", "note is required"),
            ("{\"dueAt\":\"2026-12-07T11:00:00+08:00\",\"note\":7}", "note is required"),
            ($"{{\"dueAt\":\"2026-12-07T11:00:00+08:00\",\"note\":\"{new string('话', 501)}\"}}", "note is at most 500 characters"),
            ("{\"dueAt\":", "not JSON"),
            ("[]", "dueAt is required"),
        ];
        foreach (var (body, field) in bad)
        {
            var response = await bob.Http.PostAsync(url, new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{body[..Math.Min(60, body.Length)]}: {response.StatusCode}");
            var error = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()!;
            Assert.True(error.Contains(field, StringComparison.Ordinal), $"{body[..Math.Min(60, body.Length)]}: {error}");
        }

        var plain = await bob.Http.PostAsync(url, new StringContent("{\"dueAt\":\"2026-12-07T11:00:00+08:00\",\"note\":\"x\"}", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        var good = new { dueAt = "2026-12-07T11:00:00+08:00", note = "x" };
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.PostAsJsonAsync(url, good)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/promises", good)).StatusCode);
        Assert.Empty(await CallbacksAsync(shop));
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync(url, good)).StatusCode);
    }

    /// <summary>A buyer with a paid order writes by SMS (after-sale: bob, not alice); bob gets the conversation.</summary>
    private static async Task<Guid> CustomerWritesAsync(ShopOrders shop, AgentSession bob)
    {
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Opening));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-promise-1", "你好"))).StatusCode);
        return (await bob.NextAssignedAsync()).Id;
    }

    private static async Task<Guid> PromiseAsync(AgentSession agent, Guid conversation, string dueAt)
    {
        var response = await agent.Http.PostAsJsonAsync($"/api/conversations/{conversation}/promises", new { dueAt, note = "回电" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
    }

    private static Task<HttpResponseMessage> MoveAsync(AgentSession agent, Guid followUp, string dueAt) =>
        agent.Http.PostAsJsonAsync($"/api/follow-ups/{followUp}/move", new { dueAt });

    private static async Task<List<FollowUp>> CallbacksAsync(ShopOrders shop)
    {
        await using var db = shop.Host.CreateDbContext();
        var rows = await db.FollowUps.AsNoTracking().Where(f => f.Kind == FollowUpKinds.Callback).ToListAsync();
        return [.. rows.OrderBy(r => r.CreatedAt).ThenBy(r => r.Step)];
    }

    private static async Task<List<PromiseDto>> PromisesAsync(AgentSession supervisor) =>
        (await supervisor.Http.GetFromJsonAsync<List<PromiseDto>>("/api/supervisor/promises"))!;
}

/// <summary>
/// Every live event the gateway publishes (Redis pub/sub, as every instance hears them). <see cref="SoFarAsync"/>
/// publishes a marker of its own and waits for it: the events published before it have arrived by then.
/// </summary>
internal sealed class PublishedEvents : IAsyncDisposable
{
    private readonly List<GatewayEvent> _events = [];
    private readonly GatewayEventBus _bus;
    private readonly StackExchange.Redis.ChannelMessageQueue _queue;

    private PublishedEvents(GatewayEventBus bus, StackExchange.Redis.ChannelMessageQueue queue)
    {
        _bus = bus;
        _queue = queue;
        queue.OnMessage(m =>
        {
            if (GatewayEventBus.Parse(m.Message) is { } e)
            {
                lock (_events)
                {
                    _events.Add(e);
                }
            }
        });
    }

    public static async Task<PublishedEvents> StartAsync(GatewayHost host)
    {
        var bus = host.Services.GetRequiredService<GatewayEventBus>();
        return new PublishedEvents(bus, await bus.SubscribeAsync());
    }

    public async Task<List<GatewayEvent>> SoFarAsync()
    {
        var marker = Guid.NewGuid();
        await _bus.PublishAsync(new GatewayEvent("test-marker", marker));
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (DateTime.UtcNow < until)
        {
            lock (_events)
            {
                if (_events.Any(e => e.ConversationId == marker))
                {
                    return [.. _events.Where(e => e.Type != "test-marker")];
                }
            }

            await Task.Delay(20);
        }

        throw new TimeoutException("the marker event did not come back");
    }

    public async ValueTask DisposeAsync() => await _queue.UnsubscribeAsync();
}

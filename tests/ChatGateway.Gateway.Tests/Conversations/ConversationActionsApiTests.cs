using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Orders;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.ConversationActions;

/// <summary>
/// What an agent does to a conversation besides replying, through the API: close with a reason, notes any time, snooze
/// (挂起), send later, start a conversation. A fake clock at 10:00 shop time (Asia/Shanghai); the test fires what is due
/// (FireDueAsync) as the scheduler's job does. Each test also tries the bad inputs named in it: they answer 4xx and change nothing.
/// </summary>
public sealed class ConversationActionsApiTests
{
    private const string Buyer = "+8613800138000";
    private static readonly DateTimeOffset Opening = ShopOrders.ShopTime(2026, 12, 7, 10, 0);
    private int _sms;

    // Bad inputs: an unknown reason (400, listing the reasons; the conversation stays open).
    [Fact]
    public async Task Close_WithAReason_IsShown_UnknownReasonIsRefused_SpamPlansNoSurvey_AndNoBodyStillCloses()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var first = await CustomerTextsAsync(shop, bob, "你好");

        var reasons = await bob.Http.GetFromJsonAsync<List<CloseReasonDto>>("/api/conversations/close-reasons");
        Assert.Equal(["resolved", "no-reply", "spam", "transferred-to-phone", "duplicate"], reasons!.Select(r => r.Id));
        Assert.Equal("已解决", reasons![0].Zh);

        var unknown = await bob.Http.PostAsJsonAsync($"/api/conversations/{first}/close", new { reason = "bored" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("there is no close reason 'bored'; reasons are resolved, no-reply, spam, transferred-to-phone, duplicate (or none)", await ErrorAsync(unknown));
        Assert.Equal("assigned", (await GetAsync(bob, first)).Status);

        var closed = await bob.Http.PostAsJsonAsync($"/api/conversations/{first}/close", new { reason = "resolved" });
        Assert.Equal(HttpStatusCode.OK, closed.StatusCode);
        Assert.Equal(("closed", "resolved"), ((await closed.Content.ReadFromJsonAsync<ConversationDto>())!.Status, (await GetAsync(bob, first)).CloseReason));
        Assert.Single(await SurveysAsync(shop, first));

        var spam = await CustomerTextsAsync(shop, bob, "加微信领红包");
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/conversations/{spam}/close", new { reason = "spam" })).StatusCode);
        Assert.Empty(await SurveysAsync(shop, spam));

        // The desk's close without a body (and any script's) closes without a reason, as before.
        var third = await CustomerTextsAsync(shop, bob, "还在吗");
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsync($"/api/conversations/{third}/close", null)).StatusCode);
        var plain = await GetAsync(bob, third);
        Assert.Equal(("closed", null), (plain.Status, plain.CloseReason));
    }

    // Bad inputs: an empty note, one of spaces only, 4001 characters (400), another agent's conversation (404).
    [Fact]
    public async Task Notes_AreForAgentsOnly_AnyTime_AndTheWidgetNeverShowsThem()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(shop.Host);
        var conversation = (await visitor.SendOkAsync("想问一下退货")).GetProperty("conversationId").GetGuid();
        Assert.Equal(conversation, (await bob.NextAssignedAsync()).Id);

        foreach (var bad in new object[] { new { text = "" }, new { text = "   " }, new { text = new string('备', 4001) } })
        {
            Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/notes", bad)).StatusCode);
        }

        var added = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/notes", new { text = "客户很着急，优先处理" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        var live = await bob.NextMessageAsync(m => m.Direction == "note");
        Assert.Equal(("客户很着急，优先处理", "Bob"), (live.Message.Text, live.Message.AgentName));
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/notes", new { text = new string('备', 4000) })).StatusCode);

        await using var carol = await shop.Host.SignInAsync("carol");
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.PostAsJsonAsync($"/api/conversations/{conversation}/notes", new { text = "not mine" })).StatusCode);

        // Closed: a note still goes on it (what happened after, for whoever reads it next).
        await bob.CloseAsync(conversation);
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/notes", new { text = "已电话联系" })).StatusCode);
        Assert.Equal(3, (await GetAsync(bob, conversation)).Messages!.Count(m => m.Direction == "note"));

        var history = await visitor.Http.GetFromJsonAsync<JsonElement>("/channels/webchat/conversation");
        Assert.Equal(["想问一下退货"], history.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("text").GetString()));
        await using var db = shop.Host.CreateDbContext();
        Assert.All(await db.Messages.AsNoTracking().Where(m => m.Direction == MessageDirection.Note).ToListAsync(), n => Assert.Equal(MessageStatus.Received, n.Status));
    }

    // Bad inputs: until in the past, more than 30 days ahead, without its offset, no until at all (400); another agent (404);
    // a closed conversation (409); waking one not snoozed (409).
    [Fact]
    public async Task Snooze_LeavesTheActiveList_UntilTheCustomerWrites_OrUntilItsTime_AndStaysTheAgents()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerTextsAsync(shop, bob, "在吗");
        await using var carol = await shop.Host.SignInAsync("carol");

        foreach (var (body, error) in new (object Body, string Error)[]
        {
            (new { until = "2026-12-07T09:00:00+08:00" }, "until is in the past"),
            (new { until = "2027-01-07T10:00:00+08:00" }, "until is more than 30 days ahead"),
            (new { until = "2026-12-07T15:00:00" }, "until must be a time with its offset"),
            (new { later = true }, "send { \"until\""),
        })
        {
            var refused = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/snooze", body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.StartsWith(error, await ErrorAsync(refused), StringComparison.Ordinal);
        }

        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.PostAsJsonAsync($"/api/conversations/{conversation}/snooze", new { until = (string?)null })).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await bob.Http.DeleteAsync($"/api/conversations/{conversation}/snooze")).StatusCode);
        Assert.False((await GetAsync(bob, conversation)).Snoozed);

        // Until the customer writes: still bob's (his load unchanged), marked snoozed; the customer's message wakes it.
        var snoozed = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/snooze", new { until = (string?)null });
        Assert.Equal(HttpStatusCode.OK, snoozed.StatusCode);
        var listed = Assert.Single(await bob.ListAsync());
        Assert.Equal((true, null, bob.Agent.Id), (listed.Snoozed, listed.SnoozedUntil, listed.AssignedAgentId));
        Assert.Equal(1, (await bob.Http.GetFromJsonAsync<JsonElement>("/api/agents/me")).GetProperty("load").GetInt64());
        await shop.Http.SendAsync(InboundSms($"SM-snooze-{Guid.NewGuid():N}", "我还想问一下尺码"));
        var (woken, message) = await bob.NextMessageAsync(m => m.Text == "我还想问一下尺码");
        Assert.Equal(conversation, woken);
        Assert.False((await GetAsync(bob, conversation)).Snoozed);

        // Until a time: woken by the scheduler then, not before.
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/snooze", new { until = "2026-12-07T14:00:00+08:00" })).StatusCode);
        var until = (await GetAsync(bob, conversation)).SnoozedUntil;
        Assert.Equal(ShopOrders.ShopTime(2026, 12, 7, 14, 0), until);
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 13, 59));
        Assert.True((await GetAsync(bob, conversation)).Snoozed);
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 14, 0));
        Assert.False((await GetAsync(bob, conversation)).Snoozed);

        // Snoozed again, then woken by hand: the old time does nothing later.
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/snooze", new { until = "2026-12-07T16:00:00+08:00" })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.DeleteAsync($"/api/conversations/{conversation}/snooze")).StatusCode);
        Assert.False((await GetAsync(bob, conversation)).Snoozed);

        await bob.CloseAsync(conversation);
        var closed = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation}/snooze", new { until = (string?)null });
        Assert.Equal(HttpStatusCode.Conflict, closed.StatusCode);
        Assert.Equal("the conversation is closed", await ErrorAsync(closed));
    }

    // Bad inputs: sendAt in the quiet hours, in the past, less than a minute ahead, beyond 30 days (400); a forbidden phrase
    // without confirmForbidden (422); edit or cancel once sent (409); an empty text (400).
    [Fact]
    public async Task ScheduledReply_GoesOutOnceWhenDue_AsTheAgents_AndCanBeEditedOrCancelledBefore()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var conversation = await CustomerTextsAsync(shop, bob, "这件还有M码吗");
        var url = $"/api/conversations/{conversation}/scheduled-replies";

        foreach (var (body, error) in new (object Body, string Error)[]
        {
            (new { text = "明早发货", sendAt = "2026-12-07T22:30:00+08:00" },
                "sendAt 2026-12-07 22:30 (shop time) falls in the customers' quiet hours 21:00-09:00; the next allowed time is 2026-12-08 09:00"),
            (new { text = "明早发货", sendAt = "2026-12-07T09:00:00+08:00" }, "sendAt must be at least a minute ahead (to send now, reply)"),
            (new { text = "明早发货", sendAt = "2026-12-07T10:00:30+08:00" }, "sendAt must be at least a minute ahead (to send now, reply)"),
            (new { text = "明早发货", sendAt = "2027-01-08T10:00:00+08:00" }, "sendAt is more than 30 days ahead"),
            (new { text = " ", sendAt = "2026-12-07T11:00:00+08:00" }, "text is required: the reply to send"),
        })
        {
            var refused = await bob.Http.PostAsJsonAsync(url, body);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Equal(error, await ErrorAsync(refused));
        }

        var forbidden = await bob.Http.PostAsJsonAsync(url, new { text = "你懂不懂规则", sendAt = "2026-12-07T11:00:00+08:00" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, forbidden.StatusCode);
        Assert.Empty((await bob.Http.GetFromJsonAsync<List<JsonElement>>(url))!);

        var planned = await bob.Http.PostAsJsonAsync(url, new { text = "明早发货", sendAt = "2026-12-07T11:00:00+08:00" });
        Assert.Equal(HttpStatusCode.Created, planned.StatusCode);
        var reply = await planned.Content.ReadFromJsonAsync<JsonElement>();
        var id = reply.GetProperty("id").GetGuid();
        Assert.Equal(("planned", "2026-12-07T11:00:00+08:00", "Bob"), (reply.GetProperty("status").GetString(), reply.GetProperty("sendAt").GetString(), reply.GetProperty("agentName").GetString()));
        var other = (await (await bob.Http.PostAsJsonAsync(url, new { text = "另一条", sendAt = "2026-12-07T11:30:00+08:00" })).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();

        // Not among the contact's follow-ups, and the follow-ups' own move (which knows nothing of quiet hours) refuses it.
        var detail = await bob.Http.GetFromJsonAsync<JsonElement>($"/api/conversations/{conversation}");
        var followUps = await bob.Http.GetStringAsync($"/api/contacts/{detail.GetProperty("contact").GetProperty("id").GetGuid()}/follow-ups");
        Assert.DoesNotContain(id.ToString(), followUps, StringComparison.OrdinalIgnoreCase);
        var moved = await bob.Http.PostAsJsonAsync($"/api/follow-ups/{id}/move", new { dueAt = "2026-12-07T23:00:00+08:00" });
        Assert.Equal(HttpStatusCode.Conflict, moved.StatusCode);
        Assert.Equal("a scheduled reply is changed through /api/conversations/{id}/scheduled-replies", await ErrorAsync(moved));

        var edited = await bob.Http.PutAsJsonAsync($"{url}/{id}", new { text = "您的订单今天下午发货", sendAt = "2026-12-07T12:00:00+08:00" });
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.DeleteAsync($"{url}/{other}")).StatusCode);

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 59));
        Assert.DoesNotContain(shop.Twilio.Requests, r => r.Body is "明早发货" or "另一条" or "您的订单今天下午发货");
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 12, 0));
        var sent = await shop.Twilio.WaitForRequestAsync(r => r.Body == "您的订单今天下午发货", TimeSpan.FromSeconds(15));
        Assert.Equal(Buyer, sent.To);
        var (_, message) = await bob.NextMessageAsync(m => m.Text == "您的订单今天下午发货");
        Assert.Equal(("out", "Bob", id), (message.Direction, message.AgentName, message.Id));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 12, 1));
        // Planned once, sent as one message: a send retried after its attempt ran out of time on a loaded machine carries
        // the same idempotency token, which Twilio answers without sending again.
        Assert.Single(shop.Twilio.Requests.Where(r => r.Body == "您的订单今天下午发货").Select(r => r.IdempotencyToken ?? r.MessageSid).Distinct());

        var list = (await bob.Http.GetFromJsonAsync<List<JsonElement>>(url))!;
        Assert.Equal(["cancelled", "sent"], list.Select(r => r.GetProperty("status").GetString()));
        var late = await bob.Http.PutAsJsonAsync($"{url}/{id}", new { text = "改一下" });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Equal("the reply is sent already; only a planned one can be changed", await ErrorAsync(late));
        Assert.Equal(HttpStatusCode.Conflict, (await bob.Http.DeleteAsync($"{url}/{id}")).StatusCode);
    }

    // Bad inputs: an identity the customer opted out of by STOP (422, nothing sent), another contact's identity (400), no text (400).
    [Fact]
    public async Task StartConversation_WritesFirstOnTheChosenChannel_WithinItsRules()
    {
        await using var shop = await ShopOrders.StartAsync(Opening);
        await using var bob = await shop.Host.SignInAsync("bob");
        var first = await CustomerTextsAsync(shop, bob, "这个颜色还有吗");
        await bob.CloseAsync(first);
        await using var visitor = await Visitor.ArriveAsync(shop.Host);
        var stranger = (await visitor.SendOkAsync("hello")).GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();
        await bob.CloseAsync(stranger);
        Guid contact, sms, otherIdentity;
        await using (var db = shop.Host.CreateDbContext())
        {
            contact = (await db.Conversations.SingleAsync(c => c.Id == first)).ContactId;
            sms = (await db.ChannelIdentities.SingleAsync(i => i.ContactId == contact && i.InstanceId == "sms-main")).Id;
            var strangerContact = (await db.Conversations.SingleAsync(c => c.Id == stranger)).ContactId;
            otherIdentity = (await db.ChannelIdentities.FirstAsync(i => i.ContactId == strangerContact)).Id;
        }

        var url = $"/api/contacts/{contact}/conversations";
        var foreign = await bob.Http.PostAsJsonAsync(url, new { identityId = otherIdentity, text = "您好" });
        Assert.Equal(HttpStatusCode.BadRequest, foreign.StatusCode);
        Assert.Equal("identityId is not one of this contact's channel identities", await ErrorAsync(foreign));
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PostAsJsonAsync(url, new { identityId = sms, text = "" })).StatusCode);

        var started = await bob.Http.PostAsJsonAsync(url, new { identityId = sms, text = "您好，您的快递今天到" });
        Assert.Equal(HttpStatusCode.Created, started.StatusCode);
        var conversation = (await started.Content.ReadFromJsonAsync<ConversationDto>())!;
        Assert.NotEqual(first, conversation.Id);
        Assert.Equal(("assigned", bob.Agent.Id), (conversation.Status, conversation.AssignedAgentId));
        Assert.Equal(conversation.Id, (await bob.NextAssignedAsync()).Id);
        Assert.Equal(Buyer, (await shop.Twilio.WaitForRequestAsync(r => r.Body == "您好，您的快递今天到", TimeSpan.FromSeconds(15))).To);

        // Again while it is open: the same conversation.
        var again = await bob.Http.PostAsJsonAsync(url, new { identityId = sms, text = "还有别的问题吗" });
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal(conversation.Id, (await again.Content.ReadFromJsonAsync<ConversationDto>())!.Id);
        await bob.CloseAsync(conversation.Id);

        // The customer texts STOP: the shop may no longer write first there.
        await shop.Http.SendAsync(InboundSms($"SM-stop-{Guid.NewGuid():N}", "STOP"));
        await WaitUntilAsync(async () =>
        {
            await using var db = shop.Host.CreateDbContext();
            return (await db.ChannelIdentities.SingleAsync(i => i.Id == sms)).OptedOutAt is not null;
        });
        var requests = shop.Twilio.Requests.Count;
        var stopped = await bob.Http.PostAsJsonAsync(url, new { identityId = sms, text = "回访一下" });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, stopped.StatusCode);
        Assert.Equal("the customer opted out of sms-main (e.g. STOP by SMS): write on another of their channels", await ErrorAsync(stopped));
        Assert.DoesNotContain(shop.Twilio.Requests.Skip(requests), r => r.Body == "回访一下");
    }

    private async Task<Guid> CustomerTextsAsync(ShopOrders shop, AgentSession agent, string text)
    {
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(InboundSms($"SM-actions-{Interlocked.Increment(ref _sms)}-{Guid.NewGuid():N}", text))).StatusCode);
        return (await agent.NextAssignedAsync()).Id;
    }

    private static HttpRequestMessage InboundSms(string sid, string body) =>
        TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, ShopOrders.PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Buyer, ["To"] = "+15005550006",
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "CN",
        });

    private static async Task<ConversationDto> GetAsync(AgentSession agent, Guid id) =>
        (await agent.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{id}"))!;

    private static async Task<string?> ErrorAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString();

    private static async Task<List<FollowUp>> SurveysAsync(ShopOrders shop, Guid conversation)
    {
        await using var db = shop.Host.CreateDbContext();
        return await db.FollowUps.AsNoTracking().Where(f => f.ConversationId == conversation && f.Kind == FollowUpKinds.Survey).ToListAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
        {
            await Task.Delay(100);
        }

        Assert.True(await condition());
    }
}

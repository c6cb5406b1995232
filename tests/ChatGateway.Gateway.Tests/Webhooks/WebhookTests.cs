using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.FollowUps.Customer;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Webhooks;

/// <summary>
/// Outbound webhooks as a shop's CRM sees them: a real gateway sends signed events to a receiver on a loopback port,
/// which checks the signatures with the Standard Webhooks algorithm, fails or hangs on cue, and records order and repeats.
/// </summary>
public sealed class WebhookTests
{
    private const string Phone = "+8613800138123";

    /// <summary>Short waits so retries happen within a test: <paramref name="retries"/> waits of 200 ms.</summary>
    private static Dictionary<string, string?> Settings(int retries = 20, string retryWait = "00:00:00.200", string timeout = "00:00:02")
    {
        var settings = new Dictionary<string, string?>
        {
            ["Webhooks:PollInterval"] = "00:00:00.050",
            ["Webhooks:RefreshInterval"] = "00:00:00.200",
            ["Webhooks:AttemptTimeout"] = timeout,
        };
        for (var i = 0; i < retries; i++)
        {
            settings[$"Webhooks:RetrySchedule:{i}"] = retryWait;
        }

        return settings;
    }

    private static async Task<(Guid Id, string Secret)> SubscribeAsync(AgentSession supervisor, WebhookReceiver receiver, params string[] events)
    {
        var response = await supervisor.Http.PostAsJsonAsync("/api/webhooks", new
        {
            url = receiver.Url.ToString(),
            events = events.Length == 0 ? AllEvents : events,
            description = "CRM",
        });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        var secret = body.GetProperty("secret").GetString()!;
        receiver.Secrets = [secret];
        return (body.GetProperty("webhook").GetProperty("id").GetGuid(), secret);
    }

    private static readonly string[] AllEvents =
    [
        "conversation.created", "conversation.assigned", "conversation.transferred", "conversation.closed", "message.created", "message.failed",
        "followup.sent", "followup.skipped", "contact.merged",
    ];

    private static async Task<JsonElement> GetWebhookAsync(AgentSession supervisor, Guid id) =>
        await supervisor.Http.GetFromJsonAsync<JsonElement>($"/api/webhooks/{id}");

    private static async Task<JsonElement> WaitForWebhookAsync(AgentSession supervisor, Guid id, Func<JsonElement, bool> done)
    {
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var webhook = await GetWebhookAsync(supervisor, id);
            if (done(webhook))
            {
                return webhook;
            }

            Assert.True(DateTimeOffset.UtcNow < until, "the webhook never got there: " + webhook);
            await Task.Delay(50);
        }
    }

    // The scripted day of one SMS customer: they ask, Carol is assigned and answers, closes, and the customer rates 4.
    [Fact]
    public async Task ScriptedConversation_ReceiverGetsItsEventsInOrder_EachSignedAndOnce()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 7, 2, 0, 0, TimeSpan.Zero));
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await GatewayHost.StartAsync(
            pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), CustomerKit.PublicBaseUrl), settings: Settings(), clock: clock);
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var carol = await host.SignInAsync("carol");
        var (webhookId, _) = await SubscribeAsync(alice, receiver);

        await CustomerKit.TextAsync(host, Phone, "SM-w-1", "我的快递到哪里了？");
        var conversation = await carol.NextAssignedAsync();
        await carol.ReplyAsync(conversation.Id, "今天送达");
        await carol.CloseAsync(conversation.Id);
        await CustomerKit.PutSurveyAsync(host, conversation.Id, clock.GetUtcNow());
        await twilio.WaitForRequestAsync(r => r.Body == CustomerKit.SurveyText && r.ResponseStatus == 201, TimeSpan.FromSeconds(15));
        await CustomerKit.TextAsync(host, Phone, "SM-w-2", "4");

        string[] expected =
        [
            "conversation.created", "message.created", "conversation.assigned", "message.created", "conversation.closed", "message.created", "conversation.closed",
        ];
        var all = await receiver.WaitForAsync(r => r.Count(x => x.ConversationId == conversation.Id.ToString()) >= expected.Length);
        var mine = all.Where(x => x.ConversationId == conversation.Id.ToString()).ToList();
        Assert.Equal(expected, mine.Select(r => r.Type));
        Assert.All(all, r => Assert.True(r.Verified, $"{r.Type} {r.Id}: signature did not verify"));
        Assert.Equal(all.Count, all.Select(r => r.Id).Distinct().Count());
        Assert.All(all, r => Assert.StartsWith("msg_", r.Id));

        var created = mine[0].Json.GetProperty("data").GetProperty("conversation");
        Assert.Equal("sms-main", created.GetProperty("channel").GetString());
        Assert.Equal("logistics", created.GetProperty("skill").GetString());
        var question = mine[1].Json.GetProperty("data");
        Assert.Equal("customer", question.GetProperty("sender").GetString());
        Assert.Equal("我的快递到哪里了？", question.GetProperty("text").GetString());
        Assert.Equal("carol", mine[2].Json.GetProperty("data").GetProperty("agent").GetProperty("userName").GetString());
        var answer = mine[3].Json.GetProperty("data");
        Assert.Equal("agent", answer.GetProperty("sender").GetString());
        Assert.Equal("今天送达", answer.GetProperty("text").GetString());
        var closed = mine[4].Json.GetProperty("data");
        Assert.Equal("carol", closed.GetProperty("closedBy").GetProperty("userName").GetString());
        Assert.Equal(JsonValueKind.Null, closed.GetProperty("rating").ValueKind);
        var rated = mine[6].Json.GetProperty("data");
        Assert.Equal(4, rated.GetProperty("rating").GetProperty("score").GetInt32());
        Assert.Equal("conversation.closed", mine[6].Json.GetProperty("type").GetString());

        // A ping from the desk's Test button.
        var test = await alice.Http.PostAsync($"/api/webhooks/{webhookId}/test", null);
        Assert.Equal(HttpStatusCode.Accepted, test.StatusCode);
        var ping = (await receiver.WaitForAsync(r => r.Any(x => x.Type == "webhook.test"))).Single(x => x.Type == "webhook.test");
        Assert.True(ping.Verified);
    }

    [Fact]
    public async Task ReceiverDownForAWhile_GetsEveryEventAfterwards_InOrderPerConversation_EachIdOnceAfterDroppingRepeats()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayHost.StartAsync(settings: Settings());
        await using var alice = await host.SignInAsync("alice", online: false);
        var (webhookId, _) = await SubscribeAsync(alice, receiver, "conversation.created", "message.created");
        receiver.Answer = WebhookReceiver.Mode.Fail;

        var visitors = new List<Visitor>();
        var sent = new Dictionary<string, List<string>>();
        for (var v = 0; v < 3; v++)
        {
            var visitor = await Visitor.ArriveAsync(host, connect: false);
            visitors.Add(visitor);
            string? conversationId = null;
            for (var m = 0; m < 3; m++)
            {
                var text = $"visitor {v} message {m}";
                var ack = await visitor.SendOkAsync(text);
                conversationId ??= ack.GetProperty("conversationId").GetString();
                sent.TryAdd(conversationId!, []);
                sent[conversationId!].Add(text);
            }
        }

        // Down long enough for several retries of the first events.
        await receiver.WaitForAsync(r => r.Count(x => x.Answer == 500) >= 8);
        receiver.Answer = WebhookReceiver.Mode.Ok;
        await receiver.WaitForAsync(_ => receiver.Accepted.Count >= 12);

        var all = receiver.All;
        Assert.All(all, r => Assert.True(r.Verified));
        // Every failed request was sent again with the same id, and is among the accepted.
        var accepted = receiver.Accepted;
        Assert.Equal(12, accepted.Count);
        Assert.Subset(accepted.Select(a => a.Id).ToHashSet(), all.Where(r => r.Answer == 500).Select(r => r.Id).ToHashSet());
        Assert.True(all.Count > accepted.Count, "no request was repeated");
        foreach (var (conversationId, texts) in sent)
        {
            var events = accepted.Where(a => a.ConversationId == conversationId).ToList();
            Assert.Equal(["conversation.created", "message.created", "message.created", "message.created"], events.Select(e => e.Type));
            Assert.Equal(texts, events.Skip(1).Select(e => e.Json.GetProperty("data").GetProperty("text").GetString()));
        }

        var webhook = await WaitForWebhookAsync(alice, webhookId, w => w.GetProperty("pending").GetInt32() == 0);
        Assert.True(webhook.GetProperty("enabled").GetBoolean());
        Assert.Equal(0, webhook.GetProperty("failed").GetInt32());
        Assert.Equal(JsonValueKind.Null, webhook.GetProperty("failingSince").ValueKind);
        foreach (var visitor in visitors)
        {
            await visitor.DisposeAsync();
        }
    }

    // Two gateways behind one load balancer: the customer's texts land on both, each writes its events, both dispatchers
    // claim deliveries. A subscription made on A reaches B through the event bus (B's own re-read is an hour away here).
    [Fact]
    public async Task TwoInstances_EventsOfOneConversationWrittenByBoth_ReachTheReceiverInOrder_EachIdOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        var data = Directory.CreateTempSubdirectory("cg-webhooks-two-").FullName;
        var shared = new Dictionary<string, string?>(Settings())
        {
            ["Webhooks:RefreshInterval"] = "01:00:00",
            ["ConnectionStrings:Gateway"] = GatewayHost.DefaultStore == ChatGateway.Gateway.Store.StoreProvider.PostgreSql
                ? PostgreSqlServer.CreateDatabase()
                : $"Data Source={Path.Combine(data, "gateway.db")}",
            ["Store:Provider"] = GatewayHost.DefaultStore.ToString(),
            ["Redis:KeyPrefix"] = $"t{Guid.NewGuid():N}:",
        };
        var plugins = GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), CustomerKit.PublicBaseUrl);
        await using var a = await GatewayHost.StartAsync(RedisBackend.Redis, plugins, shared);
        await using var b = await GatewayHost.StartAsync(RedisBackend.Redis, plugins, shared);
        await using var alice = await a.SignInAsync("alice", online: false);
        await SubscribeAsync(alice, receiver, "conversation.created", "message.created");
        var outboxOfB = b.Services.GetRequiredService<ChatGateway.Gateway.Webhooks.WebhookOutbox>();
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(10);
        while (!outboxOfB.Wants("message.created"))
        {
            Assert.True(DateTimeOffset.UtcNow < until, "instance B never heard of the subscription made on A");
            await Task.Delay(20);
        }

        receiver.Answer = WebhookReceiver.Mode.Fail;
        var texts = new List<string>();
        for (var i = 0; i < 8; i++)
        {
            var text = $"第{i}条：还在吗";
            await CustomerKit.TextAsync(i % 2 == 0 ? a : b, Phone, $"SM-two-{i}", text);
            texts.Add(text);
        }

        await receiver.WaitForAsync(r => r.Count(x => x.Answer == 500) >= 6);
        receiver.Answer = WebhookReceiver.Mode.Ok;
        await receiver.WaitForAsync(_ => receiver.Accepted.Count(x => x.Type == "message.created" && IsCustomers(x)) >= texts.Count);

        var all = receiver.All;
        Assert.All(all, r => Assert.True(r.Verified, $"{r.Type} {r.Id}: signature did not verify"));
        var accepted = receiver.Accepted;
        Assert.Equal("conversation.created", accepted[0].Type);
        Assert.Equal(texts, accepted.Where(x => x.Type == "message.created" && IsCustomers(x)).Select(x => x.Json.GetProperty("data").GetProperty("text").GetString()));
        Assert.Single(accepted.Select(x => x.ConversationId).Distinct());
        // Repeats only of what had failed (the same id again), never one event delivered twice with success.
        Assert.Equal(accepted.Count, all.Where(r => r.Answer is >= 200 and < 300).Count());

        static bool IsCustomers(WebhookReceiver.Received r) => r.Json.GetProperty("data").GetProperty("sender").GetString() == "customer";
    }

    // The receiver hangs for longer than the whole test may take (attempt timeout 30 s): were ingest or routing waiting
    // for it, the first message alone would take 30 s to reach the agent.
    [Fact]
    public async Task HangingReceiver_DoesNotSlowIngest_MessagesAreAcknowledgedAndReachTheAgentAtOnce()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayHost.StartAsync(settings: Settings(timeout: "00:00:30"));
        await using var alice = await host.SignInAsync("alice");
        var (webhookId, _) = await SubscribeAsync(alice, receiver, "conversation.created", "message.created");
        receiver.Answer = WebhookReceiver.Mode.Hang;
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);

        var watch = Stopwatch.StartNew();
        var ack = await visitor.SendOkAsync("我想问一下这款有货吗");
        var conversationId = ack.GetProperty("conversationId").GetGuid();
        Assert.Equal(conversationId, (await alice.NextAssignedAsync(TimeSpan.FromSeconds(10))).Id);
        for (var i = 0; i < 5; i++)
        {
            await visitor.SendOkAsync($"还有一个问题 {i}");
            await alice.NextMessageAsync(m => m.Text == $"还有一个问题 {i}", TimeSpan.FromSeconds(10));
        }

        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"six messages took {watch.Elapsed} to reach the agent while the receiver hung");
        // The receiver was called and hangs; the conversation's later events wait behind that one (order), nothing else is sent.
        await receiver.WaitForAsync(r => r.Count >= 1);
        await Task.Delay(500);
        var hung = Assert.Single(receiver.All);
        Assert.Equal("conversation.created", hung.Type);
        var deliveries = await WaitForDeliveriesAsync(alice, webhookId, d => d.Count == 7);
        Assert.All(deliveries, d => Assert.Equal("pending", d.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task TransferAndContactMerge_AreSent_WithTheAgentsAndContacts()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayHost.StartAsync(settings: Settings());
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var carol = await host.SignInAsync("carol");
        await using var bob = await host.SignInAsync("bob");
        await SubscribeAsync(alice, receiver, "conversation.assigned", "conversation.transferred", "contact.merged");
        await using var first = await Visitor.ArriveAsync(host, connect: false);
        await first.SendOkAsync("我的快递到哪里了？");
        var conversation = await carol.NextAssignedAsync();
        Assert.Equal(HttpStatusCode.OK, (await carol.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/transfer", new { toAgent = "bob", note = "VIP" })).StatusCode);
        await bob.NextAssignedAsync();

        var events = (await receiver.WaitForAsync(r => r.Count(x => x.ConversationId == conversation.Id.ToString()) >= 3))
            .Where(x => x.ConversationId == conversation.Id.ToString()).ToList();
        Assert.Equal(["conversation.assigned", "conversation.transferred", "conversation.assigned"], events.Select(e => e.Type));
        Assert.Equal("carol", events[0].Json.GetProperty("data").GetProperty("agent").GetProperty("userName").GetString());
        var transferred = events[1].Json.GetProperty("data");
        Assert.Equal("carol", transferred.GetProperty("fromAgent").GetProperty("userName").GetString());
        Assert.Equal("bob", transferred.GetProperty("toAgent").GetProperty("userName").GetString());
        Assert.Equal("bob", events[2].Json.GetProperty("data").GetProperty("agent").GetProperty("userName").GetString());

        await using var second = await Visitor.ArriveAsync(host, connect: false);
        var other = (await second.SendOkAsync("还在吗")).GetProperty("conversationId").GetGuid();
        var into = conversation.Contact.Id;
        var from = (await alice.Http.GetFromJsonAsync<JsonElement>($"/api/conversations/{other}")).GetProperty("contact").GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PostAsJsonAsync($"/api/contacts/{from}/merge", new { into })).StatusCode);
        var merged = (await receiver.WaitForAsync(r => r.Any(x => x.Type == "contact.merged"))).Single(x => x.Type == "contact.merged").Json.GetProperty("data");
        Assert.Equal(from, merged.GetProperty("fromContactId").GetGuid());
        Assert.Equal(into, merged.GetProperty("intoContactId").GetGuid());
        Assert.All(receiver.All, r => Assert.True(r.Verified));
    }

    private static async Task<List<JsonElement>> WaitForDeliveriesAsync(AgentSession supervisor, Guid webhookId, Func<List<JsonElement>, bool> done, string query = "")
    {
        var until = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var list = (await supervisor.Http.GetFromJsonAsync<List<JsonElement>>($"/api/webhooks/{webhookId}/deliveries{query}"))!;
            if (done(list))
            {
                return list;
            }

            Assert.True(DateTimeOffset.UtcNow < until, "deliveries never got there: " + string.Join(", ", list));
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Receiver410_DisablesTheEndpointAtOnce_WithTheReasonShown_AndEnablingSendsWhatWaited()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayHost.StartAsync(settings: Settings());
        await using var alice = await host.SignInAsync("alice", online: false);
        var (webhookId, _) = await SubscribeAsync(alice, receiver, "message.created");
        receiver.Answer = WebhookReceiver.Mode.Gone;
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        await visitor.SendOkAsync("first");

        var disabled = await WaitForWebhookAsync(alice, webhookId, w => !w.GetProperty("enabled").GetBoolean());
        Assert.Contains("410 Gone", disabled.GetProperty("disabledReason").GetString());
        var listed = (await alice.Http.GetFromJsonAsync<List<JsonElement>>("/api/webhooks"))!.Single();
        Assert.Contains("410 Gone", listed.GetProperty("disabledReason").GetString());
        Assert.Single(receiver.All);

        // No retries to a receiver that said it is gone.
        await Task.Delay(800);
        Assert.Single(receiver.All);

        receiver.Answer = WebhookReceiver.Mode.Ok;
        var enabled = await alice.Http.PostAsync($"/api/webhooks/{webhookId}/enable", null);
        Assert.Equal(HttpStatusCode.OK, enabled.StatusCode);
        var after = await receiver.WaitForAsync(_ => receiver.Accepted.Count == 1);
        Assert.Equal(after[0].Id, receiver.Accepted[0].Id);
        var webhook = await GetWebhookAsync(alice, webhookId);
        Assert.True(webhook.GetProperty("enabled").GetBoolean());
        Assert.Equal(JsonValueKind.Null, webhook.GetProperty("disabledReason").ValueKind);
    }

    [Fact]
    public async Task AnEventThatUsesAllItsAttempts_IsListedAsFailed_DisablesTheEndpoint_AndReplaySendsItWithTheSameId()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayHost.StartAsync(settings: Settings(retries: 2, retryWait: "00:00:00.100"));
        await using var alice = await host.SignInAsync("alice", online: false);
        var (webhookId, _) = await SubscribeAsync(alice, receiver, "message.created");
        receiver.Answer = WebhookReceiver.Mode.Fail;
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        await visitor.SendOkAsync("where is my refund");

        var disabled = await WaitForWebhookAsync(alice, webhookId, w => !w.GetProperty("enabled").GetBoolean());
        Assert.Contains("failed all 3 attempts", disabled.GetProperty("disabledReason").GetString());
        Assert.Equal(1, disabled.GetProperty("failed").GetInt32());
        Assert.Equal(3, receiver.All.Count);
        var failed = (await alice.Http.GetFromJsonAsync<List<JsonElement>>($"/api/webhooks/{webhookId}/deliveries?status=failed"))!.Single();
        Assert.Equal(3, failed.GetProperty("attempts").GetInt32());
        Assert.Equal(500, failed.GetProperty("lastStatusCode").GetInt32());
        Assert.Equal(receiver.All[0].Id, failed.GetProperty("webhookId").GetString());
        var deliveryId = failed.GetProperty("id").GetGuid();

        // Replay of a disabled endpoint is refused until it is enabled; an unknown delivery is not found.
        var refused = await alice.Http.PostAsync($"/api/webhooks/{webhookId}/replay-failed", null);
        Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
        Assert.Contains("enable it first", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PostAsync($"/api/webhooks/{webhookId}/deliveries/{Guid.NewGuid()}/replay", null)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.GetAsync($"/api/webhooks/{webhookId}/deliveries?status=lost")).StatusCode);
        Assert.Equal(3, receiver.All.Count);

        receiver.Answer = WebhookReceiver.Mode.Ok;
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PostAsync($"/api/webhooks/{webhookId}/enable", null)).StatusCode);
        var replay = await alice.Http.PostAsync($"/api/webhooks/{webhookId}/replay-failed", null);
        Assert.Equal(1, (await replay.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("replayed").GetInt32());
        await receiver.WaitForAsync(_ => receiver.Accepted.Count == 1);
        Assert.Equal(failed.GetProperty("webhookId").GetString(), receiver.Accepted[0].Id);
        Assert.Equal("where is my refund", receiver.Accepted[0].Json.GetProperty("data").GetProperty("text").GetString());
        Assert.Empty((await alice.Http.GetFromJsonAsync<List<JsonElement>>($"/api/webhooks/{webhookId}/deliveries?status=failed"))!);

        // One delivery replayed on its own: the receiver sees the same id again (and drops it).
        var one = await alice.Http.PostAsync($"/api/webhooks/{webhookId}/deliveries/{deliveryId}/replay", null);
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var again = await receiver.WaitForAsync(r => r.Count(x => x.Answer == 204) == 2);
        Assert.Single(again.Where(x => x.Answer == 204).Select(x => x.Id).Distinct());
    }

    [Fact]
    public async Task RotatedSecret_SignsWithBothDuringTheOverlap_SoAReceiverWithEitherVerifies()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayHost.StartAsync(settings: Settings());
        await using var alice = await host.SignInAsync("alice", online: false);
        var (webhookId, oldSecret) = await SubscribeAsync(alice, receiver, "message.created");

        async Task<WebhookReceiver.Received> PingAsync()
        {
            var before = receiver.All.Count;
            Assert.Equal(HttpStatusCode.Accepted, (await alice.Http.PostAsync($"/api/webhooks/{webhookId}/test", null)).StatusCode);
            return (await receiver.WaitForAsync(r => r.Count > before))[before];
        }

        var first = await PingAsync();
        Assert.True(first.Verified);
        Assert.Single(first.Signature.Split(' '));

        var rotated = await alice.Http.PostAsync($"/api/webhooks/{webhookId}/rotate-secret", null);
        Assert.Equal(HttpStatusCode.OK, rotated.StatusCode);
        var body = await rotated.Content.ReadFromJsonAsync<JsonElement>();
        var newSecret = body.GetProperty("secret").GetString()!;
        Assert.NotEqual(oldSecret, newSecret);
        Assert.Equal(JsonValueKind.String, body.GetProperty("webhook").GetProperty("previousSecretUntil").ValueKind);

        var during = await PingAsync();
        Assert.Equal(2, during.Signature.Split(' ').Length);
        Assert.True(WebhookReceiver.Verify([oldSecret], during.Id, during.Timestamp, during.Signature, during.Body), "the old secret no longer verifies during the overlap");
        Assert.True(WebhookReceiver.Verify([newSecret], during.Id, during.Timestamp, during.Signature, during.Body));

        // No overlap: only the newest signs.
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsJsonAsync($"/api/webhooks/{webhookId}/rotate-secret", new { overlapHours = -1 })).StatusCode);
        var now = await alice.Http.PostAsJsonAsync($"/api/webhooks/{webhookId}/rotate-secret", new { overlapHours = 0 });
        var newest = (await now.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!;
        var after = await PingAsync();
        Assert.Single(after.Signature.Split(' '));
        Assert.False(WebhookReceiver.Verify([oldSecret, newSecret], after.Id, after.Timestamp, after.Signature, after.Body));
        Assert.True(WebhookReceiver.Verify([newest], after.Id, after.Timestamp, after.Signature, after.Body));
    }

    // Bad inputs tried: a non-supervisor listing, adding, changing and deleting; no body; malformed JSON; no URL; a relative
    // URL; ftp://; plain http to a public host; a 2,049-character URL; a URL with a password; no events; an empty event list;
    // an unknown event; an over-long description; an unknown id. None changes anything.
    [Fact]
    public async Task BadInputs_AreRefusedWithTheReason_AndChangeNothing()
    {
        await using var host = await GatewayHost.StartAsync(settings: Settings());
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob", online: false);
        var good = new { url = "https://crm.example.com/hooks/chat", events = new[] { "message.created" } };
        var created = await alice.Http.PostAsJsonAsync("/api/webhooks", good);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("webhook").GetProperty("id").GetGuid();
        var before = await alice.Http.GetStringAsync("/api/webhooks");

        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.GetAsync("/api/webhooks")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PostAsJsonAsync("/api/webhooks", good)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PutAsJsonAsync($"/api/webhooks/{id}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.DeleteAsync($"/api/webhooks/{id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PostAsync($"/api/webhooks/{id}/rotate-secret", null)).StatusCode);

        async Task RefusedAsync(HttpResponseMessage response, string reason)
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        }

        await RefusedAsync(await alice.Http.PostAsync("/api/webhooks", null), "JSON body");
        await RefusedAsync(await alice.Http.PostAsync("/api/webhooks", new StringContent("{\"url\":", System.Text.Encoding.UTF8, "application/json")), "malformed JSON");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { events = new[] { "message.created" } }), "url is required");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "/hooks/chat", events = new[] { "message.created" } }), "absolute http(s)");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "ftp://crm.example.com/x", events = new[] { "message.created" } }), "absolute http(s)");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "http://crm.example.com/x", events = new[] { "message.created" } }), "must use https");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "https://crm.example.com/" + new string('a', 2049 - 24), events = new[] { "message.created" } }), "the limit is 2048");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "https://u:p@crm.example.com/x", events = new[] { "message.created" } }), "password");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "https://crm.example.com/x" }), "at least one");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "https://crm.example.com/x", events = Array.Empty<string>() }), "at least one");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "https://crm.example.com/x", events = new[] { "message.created", "order.paid" } }), "unknown event 'order.paid'");
        await RefusedAsync(await alice.Http.PostAsJsonAsync("/api/webhooks", new { url = "https://crm.example.com/x", events = new[] { "message.created" }, description = new string('d', 201) }), "description");
        await RefusedAsync(await alice.Http.PutAsJsonAsync($"/api/webhooks/{id}", new { url = "ftp://crm.example.com/x" }), "absolute http(s)");
        await RefusedAsync(await alice.Http.PutAsJsonAsync($"/api/webhooks/{id}", new { events = new[] { "message.deleted" } }), "unknown event 'message.deleted'");
        await RefusedAsync(await alice.Http.PutAsJsonAsync($"/api/webhooks/{id}", new { events = Array.Empty<string>() }), "at least one");
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PutAsJsonAsync($"/api/webhooks/{Guid.NewGuid()}", new { enabled = false })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.DeleteAsync($"/api/webhooks/{Guid.NewGuid()}")).StatusCode);

        Assert.Equal(before, await alice.Http.GetStringAsync("/api/webhooks"));

        // A good change changes what it names only; http to loopback is allowed.
        var changed = await alice.Http.PutAsJsonAsync($"/api/webhooks/{id}", new { url = "http://127.0.0.1:9/hook" });
        Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        var webhook = await changed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("http://127.0.0.1:9/hook", webhook.GetProperty("url").GetString());
        Assert.Equal(["message.created"], webhook.GetProperty("events").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.DeleteAsync($"/api/webhooks/{id}")).StatusCode);
        Assert.Equal("[]", await alice.Http.GetStringAsync("/api/webhooks"));

        var paths = (await alice.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[]
        {
            "/api/webhooks", "/api/webhooks/{id}", "/api/webhooks/{id}/rotate-secret", "/api/webhooks/{id}/enable", "/api/webhooks/{id}/test",
            "/api/webhooks/{id}/deliveries", "/api/webhooks/{id}/deliveries/{deliveryId}/replay", "/api/webhooks/{id}/replay-failed",
        })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task APendingDelivery_IsSentAfterAGatewayRestart_WithTheSameId()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        var data = Directory.CreateTempSubdirectory("cg-webhooks-").FullName;
        string failedId;
        await using (var first = await GatewayHost.StartAsync(settings: Settings(retryWait: "00:00:00.500"), dataDirectory: data))
        {
            await using var alice = await first.SignInAsync("alice", online: false);
            await SubscribeAsync(alice, receiver, "message.created");
            receiver.Answer = WebhookReceiver.Mode.Fail;
            await using var visitor = await Visitor.ArriveAsync(first, connect: false);
            await visitor.SendOkAsync("before the restart");
            failedId = (await receiver.WaitForAsync(r => r.Count >= 1))[0].Id;
        }

        receiver.Answer = WebhookReceiver.Mode.Ok;
        await using var second = await GatewayHost.StartAsync(settings: Settings(retryWait: "00:00:00.500"), dataDirectory: data);
        await receiver.WaitForAsync(_ => receiver.Accepted.Count == 1);
        Assert.Equal(failedId, receiver.Accepted[0].Id);
        Assert.Equal("before the restart", receiver.Accepted[0].Json.GetProperty("data").GetProperty("text").GetString());
    }
}

using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// What a busy shop needs from routing: transfers with notes, returning customers back to their agent,
/// personal agents, priority that ages, and conversations that move on when an agent is gone.
/// Time-dependent rules run on a fake clock. Demo agents: alice (pre-sale, vip), bob (after-sale,
/// complaints, pre-sale), carol (logistics, after-sale).
/// </summary>
public sealed class RoutingWorkflowTests
{
    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task Transfer_ToAnotherAgent_TheReceiverGetsItLiveWithTheNoteOnTopOfTheHistory(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend);
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "t1", "+10000000001", "do you ship to Shenzhen?")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await using var bob = await host.SignInAsync("bob");

        var response = await alice.Http.PostAsJsonAsync($"/api/conversations/{id}/transfer", new { toAgent = "bob", note = "customer asks about a refund too" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var received = await bob.NextAssignedAsync();
        Assert.Equal(id, received.Id);
        Assert.Equal(["in", "note"], received.Messages!.Select(m => m.Direction));
        Assert.Equal("Alice transferred this conversation to Bob: customer asks about a refund too", received.Messages![^1].Text);
        Assert.Equal(1, received.TransferCount);
        Assert.Equal(id, await alice.NextRemovedAsync());
        Assert.Empty(await alice.ListAsync());
        Assert.Single(await bob.ListAsync());

        // The customer never sees internal notes.
        await using var db = host.CreateDbContext();
        Assert.Equal(1, await db.Messages.CountAsync(m => m.Direction == MessageDirection.Note));
    }

    [Fact]
    public async Task Transfer_ToSkillQueue_GoesToAnAgentWithThatSkill()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        await using var carol = await host.SignInAsync("carol");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "t2", "+10000000002", "hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();

        var response = await alice.Http.PostAsJsonAsync($"/api/conversations/{id}/transfer", new { toSkill = "logistics" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        var received = await carol.NextAssignedAsync();
        Assert.Equal("logistics", received.Skill);
        Assert.Contains("to the logistics queue", received.Messages![^1].Text);
    }

    [Fact]
    public async Task Transfer_BadInputs_AreRefusedWithReasons_AndTheConversationIsUntouched()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        await using var bob = await host.SignInAsync("bob", online: false);
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "t3", "+10000000003", "hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();

        async Task Expect(HttpStatusCode status, string reason, object body, AgentSession? who = null)
        {
            var response = await (who ?? alice).Http.PostAsJsonAsync($"/api/conversations/{id}/transfer", body);
            Assert.Equal(status, response.StatusCode);
            Assert.Contains(reason, await response.Content.ReadAsStringAsync());
        }

        await Expect(HttpStatusCode.BadRequest, "there is no agent 'mallory'", new { toAgent = "mallory" });
        await Expect(HttpStatusCode.BadRequest, "there is no skill queue 'bargains'", new { toSkill = "bargains" });
        await Expect(HttpStatusCode.BadRequest, "give exactly one of toAgent", new { toAgent = "bob", toSkill = "logistics" });
        await Expect(HttpStatusCode.BadRequest, "give exactly one of toAgent", new { note = "no target" });
        await Expect(HttpStatusCode.BadRequest, "already yours", new { toAgent = "alice" });
        await Expect(HttpStatusCode.Conflict, "Bob is not online", new { toAgent = "bob" });
        await Expect(HttpStatusCode.NotFound, "no such conversation among yours", new { toAgent = "alice" }, bob);
        var malformed = await alice.Http.PostAsync($"/api/conversations/{id}/transfer", new StringContent("{", System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        await using var db = host.CreateDbContext();
        var conversation = await db.Conversations.SingleAsync();
        Assert.Equal(alice.Agent.Id, conversation.AssignedAgentId);
        Assert.Equal(ConversationStatus.Assigned, conversation.Status);
        Assert.Equal(0, conversation.TransferCount);
        Assert.Equal(0, await db.Messages.CountAsync(m => m.Direction == MessageDirection.Note));
        Assert.Single(await alice.ListAsync());
    }

    [Fact]
    public async Task Transfer_BouncedMoreThanAllowed_IsFlaggedForASupervisor()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Routing:MaxTransfers"] = "2" });
        await using var alice = await host.SignInAsync("alice");
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "t4", "+10000000004", "hello")).GetProperty("conversationId").GetGuid();
        var first = await Task.WhenAny(alice.NextAssignedAsync(), bob.NextAssignedAsync());
        var (holder, other) = (await first).AssignedAgentId == alice.Agent.Id ? (alice, bob) : (bob, alice);

        for (var i = 0; i < 3; i++)
        {
            var response = await holder.Http.PostAsJsonAsync($"/api/conversations/{id}/transfer", new { toAgent = other.Agent.UserName });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            (holder, other) = (other, holder);
        }

        await using var db = host.CreateDbContext();
        var conversation = await db.Conversations.SingleAsync();
        Assert.Equal(3, conversation.TransferCount);
        Assert.True(conversation.NeedsSupervisor);
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task ReturningCustomer_GoesBackToTheirLastAgent_EvenWhenThatAgentIsBusy(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend);
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var first = (await RoutingTests.Inbound(http, "s1", "+10000000005", "first visit")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await alice.CloseAsync(first);
        await alice.SetPresenceAsync("busy"); // takes only returning customers and transfers now
        await using var bob = await host.SignInAsync("bob");

        await RoutingTests.Inbound(http, "s2", "+10000000005", "I'm back");
        var back = await alice.NextAssignedAsync();
        Assert.Equal("I'm back", back.Messages![^1].Text);

        await RoutingTests.Inbound(http, "s3", "+10000000006", "new customer");
        var stranger = await bob.NextAssignedAsync();
        Assert.Equal("new customer", stranger.Messages![^1].Text);
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "a busy agent takes no new customers");
    }

    [Fact]
    public async Task ExclusiveAgent_GetsTheirCustomerFirst()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        await using var bob = await host.SignInAsync("bob");
        await bob.SetPresenceAsync("busy");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "e1", "+10000000007", "hello")).GetProperty("conversationId").GetGuid();
        var first = await alice.NextAssignedAsync();
        await alice.CloseAsync(id);

        var set = await alice.Http.PutAsJsonAsync($"/api/contacts/{first.Contact.Id}/exclusive-agent", new { agent = "bob" });
        Assert.Equal(HttpStatusCode.NoContent, set.StatusCode);
        var unknown = await alice.Http.PutAsJsonAsync($"/api/contacts/{first.Contact.Id}/exclusive-agent", new { agent = "mallory" });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);

        await RoutingTests.Inbound(http, "e2", "+10000000007", "it's me again");
        var mine = await bob.NextAssignedAsync();
        Assert.Equal(first.Contact.Id, mine.Contact.Id);
        Assert.Equal(bob.Agent.Id, mine.Contact.ExclusiveAgentId);
    }

    [Theory]
    [InlineData(5, "VIP")]
    [InlineData(20, "normal")]
    public async Task Priority_AgesWithWaiting_SoAVipDoesNotStarveALongWaiter(int vipArrivesAfterMinutes, string servedFirst)
    {
        // One priority level is worth one minute of waiting: a VIP (9) is ahead of anyone who waited less than 9 minutes more.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: new Dictionary<string, string?>
        {
            ["Routing:VipContacts:0"] = "+19990000000",
            ["Routing:PriorityStep"] = "00:01:00",
        });
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "a1", "+10000000008", "normal");
        clock.Advance(TimeSpan.FromMinutes(vipArrivesAfterMinutes));
        await RoutingTests.Inbound(http, "a2", "+19990000000", "VIP");

        await using var alice = await host.SignInAsync("alice");
        var first = await alice.NextAssignedAsync();
        Assert.Equal(servedFirst, first.Messages![0].Text);
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task CapacityPerChannelType_LimitsEachChannel_WithinTheAgentsTotal(RedisBackend backend)
    {
        // Alice takes 3 conversations at once, but only 1 web chat among them.
        await using var host = await GatewayHost.StartAsync(backend, settings: new Dictionary<string, string?> { ["Agents:Seed:0:MaxConcurrentByChannel:webchat"] = "1" });
        await using var first = await Visitor.ArriveAsync(host, connect: false);
        await using var second = await Visitor.ArriveAsync(host, connect: false);
        using var http = host.CreateClient();
        var chat1 = (await first.SendOkAsync("chat one")).GetProperty("conversationId").GetGuid();
        var chat2 = (await second.SendOkAsync("chat two")).GetProperty("conversationId").GetGuid();
        var probe = (await RoutingTests.Inbound(http, "p1", "+10000000030", "probe channel")).GetProperty("conversationId").GetGuid();

        await using var alice = await host.SignInAsync("alice");
        var got = new[] { (await alice.NextAssignedAsync()).Id, (await alice.NextAssignedAsync()).Id };
        Assert.Equal(new[] { chat1, probe }.Order(), got.Order());
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "a second web chat would exceed alice's web chat limit");

        await alice.CloseAsync(chat1);
        Assert.Equal(chat2, (await alice.NextAssignedAsync()).Id);
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task RecoveryAfterRedisLostItsState_RebuildsEachAgentsLoadPerChannel(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend, settings: new Dictionary<string, string?> { ["Agents:Seed:0:MaxConcurrentByChannel:webchat"] = "1" });
        await using var first = await Visitor.ArriveAsync(host, connect: false);
        await using var second = await Visitor.ArriveAsync(host, connect: false);
        await using var alice = await host.SignInAsync("alice");
        var chat1 = (await first.SendOkAsync("chat one")).GetProperty("conversationId").GetGuid();
        Assert.Equal(chat1, (await alice.NextAssignedAsync()).Id);

        // Redis loses every routing key (an embedded Garnet restarts empty); recovery rebuilds them from the store.
        var redis = host.Services.GetRequiredService<ChatGateway.Gateway.Redis.RedisConnection>();
        await (await redis.GetDatabaseAsync()).ScriptEvaluateAsync(
            "for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do redis.call('DEL', k) end", values: [redis.KeyPrefix]);
        await host.Services.GetRequiredService<ChatGateway.Gateway.Routing.RoutingRecoveryService>().RecoverAsync(CancellationToken.None);
        await alice.SetPresenceAsync("online");

        await second.SendOkAsync("chat two");
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "alice already has her one web chat");
        await alice.CloseAsync(chat1);
        Assert.NotEqual(chat1, (await alice.NextAssignedAsync()).Id);
    }

    [Fact]
    public async Task AgentGoingOffline_HandsTheirConversationsToOthers_WithANote()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "o1", "+10000000009", "hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await using var bob = await host.SignInAsync("bob");

        await alice.SetPresenceAsync("offline");

        var moved = await bob.NextAssignedAsync();
        Assert.Equal(id, moved.Id);
        Assert.Equal("Alice went offline", moved.Messages![^1].Text);
        Assert.Equal(id, await alice.NextRemovedAsync());
    }

    [Fact]
    public async Task LostConnection_LongerThanTheGracePeriod_RequeuesTheAgentsConversations()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: new Dictionary<string, string?> { ["Routing:DisconnectGrace"] = "00:01:00" });
        var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "g1", "+10000000010", "hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await using var bob = await host.SignInAsync("bob");

        await alice.Hub.StopAsync(); // the desk's connection drops
        var tracker = (ChatGateway.Gateway.Agents.AgentConnectionTracker)host.Services.GetService(typeof(ChatGateway.Gateway.Agents.AgentConnectionTracker))!;
        await WaitUntilAsync(() => tracker.IsInGracePeriodAsync(alice.Agent.Id), "the gateway notices the lost connection");
        clock.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(0, await tracker.CheckAsync(CancellationToken.None));
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(200)));

        // The tracker's own timer runs on the same clock and may get there first: either way, bob gets it.
        clock.Advance(TimeSpan.FromSeconds(31));
        await tracker.CheckAsync(CancellationToken.None);
        var moved = await bob.NextAssignedAsync();
        Assert.Equal(id, moved.Id);
        Assert.Contains("lost the connection", moved.Messages![^1].Text);
        await alice.DisposeAsync();
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }
}

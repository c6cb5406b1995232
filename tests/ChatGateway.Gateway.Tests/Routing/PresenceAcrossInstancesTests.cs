using System.Net.Http.Json;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// Presence comes from live facts: the desks each running instance holds, under a heartbeat that expires with it.
/// An instance killed with its agents' desks open has those agents handed on by the instances that survive, and a
/// Redis that comes back empty has every instance announce its connected agents again within seconds.
/// </summary>
public sealed class PresenceAcrossInstancesTests
{
    private static readonly string PluginsJson = """
        { "plugins": [ { "id": "probe", "plugin": "VersionProbeA", "settings": { "Greeting": "presence" } } ] }
        """;

    /// <summary>A short grace and a fast heartbeat, so the test waits seconds, not minutes.</summary>
    private static readonly Dictionary<string, string> Fast = new()
    {
        ["Routing:DisconnectGrace"] = "00:00:03",
        ["Presence:HeartbeatInterval"] = "00:00:00.300",
        ["Presence:HeartbeatExpiry"] = "00:00:01.500",
    };

    [Fact]
    public async Task InstanceKilled_ItsAgentShowsOfflineAfterTheGrace_AndTheirConversationGoesToAnAgentOnTheOtherInstance()
    {
        var cluster = GatewayProcess.Cluster.Create(PluginsJson);
        var a = await GatewayProcess.StartAsync(cluster, Fast);
        await using var b = await GatewayProcess.StartAsync(cluster, Fast);
        await using var alice = await AgentSession.StartAsync(a.BaseAddress, "alice", GatewayHost.DemoPassword, online: true);
        using var httpB = b.CreateClient();
        var id = (await RoutingTests.Inbound(httpB, "c1", "+10000000501", "is this in stock?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await alice.NextAssignedAsync()).Id);
        await using var bob = await AgentSession.StartAsync(b.BaseAddress, "bob", GatewayHost.DemoPassword, online: true);

        a.Kill(); // alice's desk goes down with its instance: nobody there to notice
        await a.DisposeAsync();

        var moved = await bob.NextAssignedAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(id, moved.Id);
        Assert.Contains("lost the connection", moved.Messages![^1].Text);
        Assert.Equal("offline", await PresenceAsync(b, "alice"));
        await using var db = cluster.CreateDbContext();
        var conversation = await db.Conversations.SingleAsync(c => c.Id == id);
        Assert.Equal((ConversationStatus.Assigned, bob.Agent.Id), (conversation.Status, conversation.AssignedAgentId));
    }

    [Fact]
    public async Task AgentOfAKilledInstance_ReconnectsToAnotherAndLeaves_IsHandedOnAfterTheGrace()
    {
        // Before: the killed instance's desk stayed counted, so after reconnecting elsewhere and leaving, the agent
        // still had "one desk" and kept their customers for ever.
        var cluster = GatewayProcess.Cluster.Create(PluginsJson);
        var a = await GatewayProcess.StartAsync(cluster, Fast);
        await using var b = await GatewayProcess.StartAsync(cluster, Fast);
        var alice = await AgentSession.StartAsync(a.BaseAddress, "alice", GatewayHost.DemoPassword, online: true);
        using var httpB = b.CreateClient();
        var id = (await RoutingTests.Inbound(httpB, "c2", "+10000000502", "is this in stock?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await alice.NextAssignedAsync()).Id);
        a.Kill();
        await a.DisposeAsync();
        await alice.DisposeAsync();

        // Her desk reloads through the load balancer onto B, within the grace: she keeps her customer.
        var back = await AgentSession.StartAsync(b.BaseAddress, "alice", GatewayHost.DemoPassword, online: false);
        Assert.Contains(await back.ListAsync(), c => c.Id == id);
        await using var bob = await AgentSession.StartAsync(b.BaseAddress, "bob", GatewayHost.DemoPassword, online: true);
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromSeconds(5)), "alice's desk on B is open: she keeps her conversation");

        await back.DisposeAsync(); // and leaves

        Assert.Equal(id, (await bob.NextAssignedAsync(TimeSpan.FromSeconds(30))).Id);
        Assert.Equal("offline", await PresenceAsync(b, "alice"));
    }

    [Fact]
    public async Task RedisComesBackEmpty_AgentsOnBothInstancesShowOnlineWithinSeconds_AndGetWaitingAndNewCustomers()
    {
        var cluster = GatewayProcess.Cluster.Create(PluginsJson);
        await using var a = await GatewayProcess.StartAsync(cluster, Fast);
        await using var b = await GatewayProcess.StartAsync(cluster, Fast);
        await using var alice = await AgentSession.StartAsync(a.BaseAddress, "alice", GatewayHost.DemoPassword, online: true); // pre-sale, 3 at once
        await using var carol = await AgentSession.StartAsync(b.BaseAddress, "carol", GatewayHost.DemoPassword, online: true); // logistics
        using var httpA = a.CreateClient();
        var ids = new List<Guid>();
        for (var i = 0; i < 4; i++)
        {
            ids.Add((await RoutingTests.Inbound(httpA, $"e{i}", $"+1000000060{i}", $"is item {i} in stock?")).GetProperty("conversationId").GetGuid());
        }

        var hers = new[] { (await alice.NextAssignedAsync()).Id, (await alice.NextAssignedAsync()).Id, (await alice.NextAssignedAsync()).Id };
        var waiting = Assert.Single(ids.Except(hers));

        await EmptyAsync(cluster.Redis, cluster.KeyPrefix); // a replacement node: nothing of the gateway's left

        await WaitForPresenceAsync(alice, "online");
        await WaitForPresenceAsync(carol, "online");
        using var httpB = b.CreateClient();
        var parcel = (await RoutingTests.Inbound(httpB, "e9", "+10000000699", "where is my parcel?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(parcel, (await carol.NextAssignedAsync(TimeSpan.FromSeconds(10))).Id);

        // Her load was rebuilt with the queues: the customer who was waiting reaches her when she has room again.
        await alice.CloseAsync(hers[0]);
        Assert.Equal(waiting, (await alice.NextAssignedAsync(TimeSpan.FromSeconds(10))).Id);
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task RedisComesBackEmpty_TheAgentsDeskIsAnnouncedAgain_AndANewCustomerReachesThem(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend, settings: new Dictionary<string, string?>
        {
            ["Presence:HeartbeatInterval"] = "00:00:00.300",
            ["Presence:HeartbeatExpiry"] = "00:00:01.500",
        });
        await using var carol = await host.SignInAsync("carol");
        var connection = host.Services.GetRequiredService<RedisConnection>();
        var mux = await connection.GetAsync();
        var db = mux.GetDatabase();
        foreach (var key in await KeysAsync(mux, connection.KeyPrefix))
        {
            await db.KeyDeleteAsync(key);
        }

        await WaitForPresenceAsync(carol, "online");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "g1", "+10000000701", "where is my parcel?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await carol.NextAssignedAsync(TimeSpan.FromSeconds(10))).Id);
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task DeskOnAnInstanceThatStoppedBeating_IsLost_AndPastTheGraceItsConversationGoesToSomeoneElse(RedisBackend backend)
    {
        // The scripts a surviving instance runs, on both backends: carol's only desk is held by an instance that
        // stops beating (registered here as that instance would register it; the processes themselves are in the
        // tests above, on a real redis-server).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(backend, clock: clock, settings: new Dictionary<string, string?>
        {
            ["Routing:DisconnectGrace"] = "00:01:00",
            ["Presence:HeartbeatInterval"] = "00:00:00.200",
            ["Presence:HeartbeatExpiry"] = "00:00:00.500",
        });
        using var carolApi = host.CreateClient();
        (await carolApi.PostAsJsonAsync("/api/auth/login", new { userName = "carol", password = GatewayHost.DemoPassword })).EnsureSuccessStatusCode();
        var carolId = (await (await carolApi.PutAsJsonAsync("/api/agents/me/presence", new { presence = "online" })).Content.ReadFromJsonAsync<AgentDto>())!.Id;
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "h1", "+10000000801", "I want a refund")).GetProperty("conversationId").GetGuid();
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();
        Assert.Equal(carolId, await routing.GetAssignedAgentAsync(id));
        await routing.HeartbeatAsync("crashed", TimeSpan.FromMilliseconds(500), [new(carolId, 1)]);
        await using var bob = await host.SignInAsync("bob");

        var tracker = host.Services.GetRequiredService<Agents.AgentConnectionTracker>();
        await NeverStrandedTests.WaitUntilAsync(() => tracker.IsInGracePeriodAsync(carolId), "the desk of the instance that stopped is lost");
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "within the grace she keeps her conversation");
        clock.Advance(TimeSpan.FromSeconds(61));
        await tracker.CheckAsync(CancellationToken.None);

        Assert.Equal(id, (await bob.NextAssignedAsync()).Id);
        // The instance's own presence loop may have claimed carol a moment before the check above (one survivor hands a
        // lost agent on): it hands her conversation on first and marks her offline right after.
        await NeverStrandedTests.WaitUntilAsync(async () => await routing.GetPresenceAsync(carolId) == AgentPresence.Offline, "carol is offline");
        Assert.False(await tracker.IsInGracePeriodAsync(carolId));
    }

    [Theory]
    [InlineData("Presence:HeartbeatInterval", "00:00:00", "Presence:HeartbeatInterval must be between")]
    [InlineData("Presence:HeartbeatExpiry", "00:00:03", "Presence:HeartbeatExpiry must be at least twice Presence:HeartbeatInterval")]
    public void Start_BadHeartbeatSetting_FailsNamingTheKey(string key, string value, string expected)
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?> { [key] = value });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as Microsoft.Extensions.Options.OptionsValidationException ?? ex.InnerException as Microsoft.Extensions.Options.OptionsValidationException ?? throw ex).Message;
        Assert.Contains(expected, message);
    }

    private static async Task<string> PresenceAsync(GatewayProcess instance, string userName)
    {
        using var http = instance.CreateClient();
        (await http.PostAsJsonAsync("/api/auth/login", new { userName, password = GatewayHost.DemoPassword })).EnsureSuccessStatusCode();
        return (await http.GetFromJsonAsync<AgentDto>("/api/agents/me"))!.Presence;
    }

    private static async Task WaitForPresenceAsync(AgentSession agent, string presence)
    {
        var deadline = DateTime.UtcNow.AddSeconds(8);
        string? now;
        while ((now = (await agent.Http.GetFromJsonAsync<AgentDto>("/api/agents/me"))!.Presence) != presence)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{agent.Agent.UserName} shows {now}, not {presence}, 8 s after Redis came back empty");
            await Task.Delay(100);
        }
    }

    /// <summary>Deletes every key of the gateway's prefix (the test run's redis-server is shared by other tests).</summary>
    private static async Task EmptyAsync(string redis, string prefix)
    {
        await using var mux = await ConnectionMultiplexer.ConnectAsync(redis);
        var db = mux.GetDatabase();
        foreach (var key in await KeysAsync(mux, prefix))
        {
            await db.KeyDeleteAsync(key);
        }
    }

    private static async Task<List<RedisKey>> KeysAsync(ConnectionMultiplexer mux, string prefix)
    {
        var keys = new List<RedisKey>();
        await foreach (var key in mux.GetServer(mux.GetEndPoints()[0]).KeysAsync(pattern: prefix + "*"))
        {
            keys.Add(key);
        }

        return keys;
    }
}

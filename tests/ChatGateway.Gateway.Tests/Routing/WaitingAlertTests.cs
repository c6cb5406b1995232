using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// The supervisor is alerted to customers waiting too long while someone able to take them is online; the
/// overview is for supervisors, agents see the queues they serve. On a fake clock.
/// </summary>
public sealed class WaitingAlertTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Routing:WaitingAlertAfter"] = "00:05:00",
        ["Routing:NoAnswerTimeout"] = "00:00:00",
        ["Routing:ResponseTarget"] = "01:00:00",
    };

    /// <summary>
    /// carol, the only logistics agent, transfers a customer to the logistics queue: it waits there although
    /// she is online with room (the way a conversation gets stuck), until routing runs for the queue again.
    /// </summary>
    internal static async Task<Guid> StuckInLogisticsAsync(GatewayHost host, AgentSession carol)
    {
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "a1", "+10000000201", "where is my parcel?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await carol.NextAssignedAsync()).Id);
        var transfer = await carol.Http.PostAsJsonAsync($"/api/conversations/{id}/transfer", new { toSkill = "logistics" });
        Assert.Equal(HttpStatusCode.OK, transfer.StatusCode);
        return id;
    }

    [Fact]
    public async Task CustomerWaitingLongerThanTheSetting_WithAnAbleAgentOnline_IsAnAlert_NotBeforeAndNotWhenNobodyCouldTakeThem()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Settings);
        await using var alice = await host.SignInAsync("alice", online: false); // the supervisor, serving nothing now
        await using var carol = await host.SignInAsync("carol");
        var stuck = await StuckInLogisticsAsync(host, carol);
        using var http = host.CreateClient();
        // Nobody serves complaints (bob is away): waiting, but no agent could take it: no alert, however long.
        var unserved = (await RoutingTests.Inbound(http, "a2", "+10000000202", "I want to file a complaint")).GetProperty("conversationId").GetGuid();

        clock.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        var before = await OverviewAsync(alice);
        Assert.Empty(before.Alerts);
        Assert.Equal(300, before.WaitingAlertAfterSeconds);

        clock.Advance(TimeSpan.FromSeconds(2));
        var after = await OverviewAsync(alice);
        var alert = Assert.Single(after.Alerts);
        Assert.Equal((stuck, "logistics", 301d, 1), (alert.ConversationId, alert.Skill, alert.WaitingSeconds, alert.AgentsAvailable));
        Assert.DoesNotContain(after.Alerts, a => a.ConversationId == unserved);

        // carol goes away: nobody able is online for logistics any more, so no alert (the customer still waits).
        await carol.SetPresenceAsync("away");
        Assert.Empty((await OverviewAsync(alice)).Alerts);
    }

    [Fact]
    public async Task AgentsWhoAreFull_AreNotAble_SoTheirQueueRaisesNoAlert()
    {
        // Bad input tried: a queue whose only agent is online but at capacity; waiting there is normal, not stuck.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Settings);
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var carol = await host.SignInAsync("carol"); // room for 3
        using var http = host.CreateClient();
        for (var i = 0; i < 4; i++)
        {
            await RoutingTests.Inbound(http, $"f{i}", $"+1000000030{i}", "where is my parcel?");
        }

        clock.Advance(TimeSpan.FromMinutes(10));
        var overview = await OverviewAsync(alice);
        Assert.Equal(1, overview.Queues.Single(q => q.Skill == "logistics").Waiting);
        Assert.Empty(overview.Alerts);
    }

    [Fact]
    public async Task SupervisorOverview_IsForSupervisorsOnly_AgentsGetTheQueuesTheyServe()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Settings);
        await using var alice = await host.SignInAsync("alice", online: false);
        await using var bob = await host.SignInAsync("bob", online: false);
        await using var carol = await host.SignInAsync("carol", online: false);
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "q1", "+10000000401", "where is my parcel?");
        clock.Advance(TimeSpan.FromSeconds(42));
        await RoutingTests.Inbound(http, "q2", "+10000000402", "tracking number please");
        await RoutingTests.Inbound(http, "q3", "+10000000403", "I want to file a complaint");

        Assert.Equal(HttpStatusCode.OK, (await alice.Http.GetAsync("/api/supervisor/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.GetAsync("/api/supervisor/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await carol.Http.GetAsync("/api/supervisor/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/supervisor/overview")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/queues")).StatusCode);

        var mine = (await carol.Http.GetFromJsonAsync<AgentQueuesDto>("/api/queues"))!;
        Assert.Equal(["after-sale", "logistics"], mine.Queues.Select(q => q.Skill));
        var logistics = mine.Queues.Single(q => q.Skill == "logistics");
        Assert.Equal((2, 42d), (logistics.Waiting, logistics.OldestWaitSeconds));
        Assert.Equal((0, (double?)null), (mine.Queues.Single(q => q.Skill == "after-sale").Waiting, mine.Queues.Single(q => q.Skill == "after-sale").OldestWaitSeconds));
        Assert.Contains("complaints", mine.TransferQueues); // she can transfer anywhere
        Assert.Contains(mine.TransferAgents, a => a.UserName == "bob");

        // Nothing about other agents beyond their names: no presence, no load, no skills.
        var raw = await carol.Http.GetFromJsonAsync<JsonElement>("/api/queues");
        var bobEntry = raw.GetProperty("transferAgents").EnumerateArray().Single(a => a.GetProperty("userName").GetString() == "bob");
        Assert.Equal(["id", "userName", "displayName"], bobEntry.EnumerateObject().Select(p => p.Name));
        Assert.False(raw.TryGetProperty("agents", out _));

        var bobs = (await bob.Http.GetFromJsonAsync<AgentQueuesDto>("/api/queues"))!;
        Assert.Equal(["after-sale", "complaints", "pre-sale"], bobs.Queues.Select(q => q.Skill));
        Assert.Equal(1, bobs.Queues.Single(q => q.Skill == "complaints").Waiting);
    }

    [Theory]
    [InlineData("Routing:WaitingAlertAfter", "00:00:00", "Routing:WaitingAlertAfter must be positive")]
    [InlineData("Routing:WaitingAlertAfter", "-00:01:00", "Routing:WaitingAlertAfter must be positive")]
    [InlineData("Routing:RecoveryInterval", "00:00:00.500", "Routing:RecoveryInterval must be at least 1 second")]
    public void Start_BadAlertOrRecoverySetting_FailsNamingTheKey(string key, string value, string expected)
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?> { [key] = value });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as OptionsValidationException ?? ex.InnerException as OptionsValidationException ?? throw ex).Message;
        Assert.Contains(expected, message);
    }

    private static async Task<OverviewDto> OverviewAsync(AgentSession supervisor) =>
        (await supervisor.Http.GetFromJsonAsync<OverviewDto>("/api/supervisor/overview"))!;
}

using System.Net.Http.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>What waiting customers and supervisors see of the queues.</summary>
public sealed class QueueVisibilityTests
{
    [Fact]
    public async Task WaitingVisitor_IsToldTheirPlaceInLine_AndAWaitEstimateOnceSomeoneCanServeThem()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Routing:AverageHandleTime"] = "00:04:00" });
        await using var first = await Visitor.ArriveAsync(host);
        await using var second = await Visitor.ArriveAsync(host);

        await first.SendOkAsync("anyone there?");
        await second.SendOkAsync("me too");

        // Nobody able is online: a place in line, but no promise of a time.
        var waiting = await second.NextFrameAsync(f => f.GetProperty("type").GetString() == "status");
        Assert.Equal("waiting", waiting.GetProperty("status").GetString());
        Assert.Equal(2, waiting.GetProperty("queuePosition").GetInt32());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, waiting.GetProperty("estimatedWaitSeconds").ValueKind);

        // Alice (room for 3) takes both; a fourth customer waits behind two more, and now there is an estimate.
        await using var alice = await host.SignInAsync("alice");
        await alice.NextAssignedAsync();
        await alice.NextAssignedAsync();
        await using var third = await Visitor.ArriveAsync(host);
        await third.SendOkAsync("third");
        await alice.NextAssignedAsync();
        await using var fourth = await Visitor.ArriveAsync(host);
        await fourth.SendOkAsync("fourth");
        var estimate = await fourth.NextFrameAsync(f => f.GetProperty("type").GetString() == "status");
        Assert.Equal(1, estimate.GetProperty("queuePosition").GetInt32());
        Assert.Equal(240, estimate.GetProperty("estimatedWaitSeconds").GetInt32());
    }

    [Fact]
    public async Task SupervisorOverview_ShowsQueuesWithOldestWait_AndAgentsWithPresenceAndLoad()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock);
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "w1", "+10000000001", "where is my parcel");
        clock.Advance(TimeSpan.FromSeconds(90));
        await RoutingTests.Inbound(http, "w2", "+10000000002", "tracking number please");
        await RoutingTests.Inbound(http, "w3", "+10000000003", "hello");
        await using var alice = await host.SignInAsync("alice");
        await alice.NextAssignedAsync();
        await using var bob = await host.SignInAsync("bob", online: false);
        await bob.SetPresenceAsync("away");

        var overview = (await alice.Http.GetFromJsonAsync<OverviewDto>("/api/supervisor/overview"))!;

        var logistics = overview.Queues.Single(q => q.Skill == "logistics");
        Assert.Equal(2, logistics.Waiting);
        Assert.Equal(90, logistics.OldestWaitSeconds);
        Assert.Equal(0, logistics.AgentsAvailable);
        Assert.Equal(0, overview.Queues.Single(q => q.Skill == "pre-sale").Waiting);
        var a = overview.Agents.Single(x => x.UserName == "alice");
        Assert.Equal(("online", 1L, 3), (a.Presence, a.Load, a.MaxConcurrent));
        Assert.Equal("away", overview.Agents.Single(x => x.UserName == "bob").Presence);
        Assert.Equal("offline", overview.Agents.Single(x => x.UserName == "carol").Presence);
        Assert.Empty(overview.Flagged);
    }
}

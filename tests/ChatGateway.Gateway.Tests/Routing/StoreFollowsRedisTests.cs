using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// A crash between a routing decision in Redis and its record in the store leaves the two disagreeing. Recovery
/// settles it one way: Redis decides first, so where Redis holds a decision the store follows; where Redis holds
/// nothing the store rebuilds it. Each disagreement is built for real (the Redis step run alone, or the store step
/// alone), then both instances recover at the same moment.
/// Demo agents: alice (pre-sale, vip), bob (after-sale, complaints, pre-sale), 3 conversations each at most.
/// </summary>
public sealed class StoreFollowsRedisTests
{
    [Fact]
    public async Task TransferInRedisTheStoreMissed_Recovery_RecordsTheNewAgent_AndTellsBothDesks()
    {
        await using var two = await TwoInstances.StartAsync();
        await using var alice = await two.A.SignInAsync("alice");
        using var http = two.A.CreateClient();
        var id = (await RoutingTests.Inbound(http, "f1", "+10000000501", "hello?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await alice.NextAssignedAsync()).Id);
        await using var bob = await two.B.SignInAsync("bob");

        // The transfer ran in Redis; the instance died before the store followed.
        var routing = two.A.Services.GetRequiredService<RedisRoutingStore>();
        Assert.Equal(TransferError.None, (await routing.TransferToAgentAsync(id, alice.Agent.Id, bob.Agent.Id)).Error);

        await two.BothAsync<RoutingRecoveryService>(r => r.RecoverAsync(CancellationToken.None));

        Assert.Equal(id, (await bob.NextAssignedAsync()).Id);
        Assert.Equal(id, await alice.NextRemovedAsync());
        Assert.Empty(await alice.ListAsync());
        await AssertHeldByAsync(two.A, id, bob.Agent.Id);
        Assert.Equal((0, 1), (await routing.GetLoadAsync(alice.Agent.Id), await routing.GetLoadAsync(bob.Agent.Id)));
    }

    [Fact]
    public async Task AssignmentInRedisTheStoreMissed_Recovery_RecordsIt_AndTheDeskHearsOnce()
    {
        await using var two = await TwoInstances.StartAsync();
        await using var alice = await two.A.SignInAsync("alice", online: false);
        using var http = two.A.CreateClient();
        var id = (await RoutingTests.Inbound(http, "f2", "+10000000502", "hello?")).GetProperty("conversationId").GetGuid();

        // Alice came online in Redis and took the waiting customer; the store never heard.
        var routing = two.A.Services.GetRequiredService<RedisRoutingStore>();
        var taken = await routing.SetPresenceAsync(alice.Agent.Id, AgentPresence.Online, 3, ["pre-sale", "vip"]);
        Assert.Equal([id], taken.Select(t => t.ConversationId));

        await two.BothAsync<RoutingRecoveryService>(r => r.RecoverAsync(CancellationToken.None));

        Assert.Equal(id, (await alice.NextAssignedAsync()).Id);
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(500)), "the desk was told twice");
        await AssertHeldByAsync(two.A, id, alice.Agent.Id);
    }

    [Fact]
    public async Task OverflowInRedisTheStoreMissed_Recovery_DoesNotQueueItTwice_SoItNeverGetsTwoAgents()
    {
        await using var two = await TwoInstances.StartAsync(TimersOnTwoInstancesTests.Settings(("Routing:VipContacts:0", "+19990000501")));
        using var http = two.A.CreateClient();
        var id = (await RoutingTests.Inbound(http, "f3", "+19990000501", "I'm a VIP")).GetProperty("conversationId").GetGuid();

        // The overflow moved it in Redis; the instance died before the store followed (the store still says vip).
        var routing = two.A.Services.GetRequiredService<RedisRoutingStore>();
        Assert.NotNull(await routing.MoveAsync(id, "vip", "pre-sale"));

        await two.BothAsync<RoutingRecoveryService>(r => r.RecoverAsync(CancellationToken.None));

        Assert.Equal((0, 1), (await routing.GetWaitingCountAsync("vip"), await routing.GetWaitingCountAsync("pre-sale")));
        await using (var db = two.A.CreateDbContext())
        {
            var row = await db.Conversations.SingleAsync(c => c.Id == id);
            Assert.Equal((ConversationStatus.Waiting, "pre-sale"), (row.Status, row.Skill));
        }

        // Bob (pre-sale) takes it; alice (vip) coming online must not take it as well.
        await using var bob = await two.B.SignInAsync("bob");
        Assert.Equal(id, (await bob.NextAssignedAsync()).Id);
        await using var alice = await two.A.SignInAsync("alice");
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(500)), "the conversation got a second agent");
        await AssertHeldByAsync(two.A, id, bob.Agent.Id);
    }

    [Fact]
    public async Task CloseTheRedisReleaseMissed_Recovery_GivesTheAgentHerPlaceBack_ForTheNextCustomer()
    {
        await using var two = await TwoInstances.StartAsync();
        await using var alice = await two.A.SignInAsync("alice");
        using var http = two.B.CreateClient();
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await RoutingTests.Inbound(http, $"f4-{i}", $"+1000000060{i}", "hello?")).GetProperty("conversationId").GetGuid());
            Assert.Equal(ids[i], (await alice.NextAssignedAsync()).Id);
        }

        var next = (await RoutingTests.Inbound(http, "f4-next", "+10000000610", "my turn?")).GetProperty("conversationId").GetGuid();
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)), "alice is full");

        // Closed in the store; the instance died before Redis released it, so it still fills one of alice's places.
        await using (var db = two.A.CreateDbContext())
        {
            await db.Conversations.Where(c => c.Id == ids[0]).ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ConversationStatus.Closed));
        }

        await two.BothAsync<RoutingRecoveryService>(r => r.RecoverAsync(CancellationToken.None));

        Assert.Equal(next, (await alice.NextAssignedAsync()).Id);
        var routing = two.A.Services.GetRequiredService<RedisRoutingStore>();
        Assert.Equal(3, await routing.GetLoadAsync(alice.Agent.Id));
        await AssertHeldByAsync(two.A, next, alice.Agent.Id);
    }

    /// <summary>The store and Redis both say the conversation is the agent's, and nothing else holds it.</summary>
    private static async Task AssertHeldByAsync(GatewayHost host, Guid conversationId, Guid agentId)
    {
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();
        await using var db = host.CreateDbContext();
        var row = await db.Conversations.SingleAsync(c => c.Id == conversationId);
        Assert.Equal((ConversationStatus.Assigned, (Guid?)agentId), (row.Status, row.AssignedAgentId));
        Assert.Equal(new HeldRouting(agentId, row.Skill, false), await routing.GetHeldAsync(conversationId));
        foreach (var other in await db.Agents.Where(a => a.Id != agentId).Select(a => a.Id).ToListAsync())
        {
            Assert.DoesNotContain(conversationId, await routing.GetConversationsOfAsync(other));
        }
    }
}

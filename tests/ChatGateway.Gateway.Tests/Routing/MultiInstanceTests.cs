using System.Text.Json;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using StackExchange.Redis;
using AgentSession = ChatGateway.Gateway.Tests.Infrastructure.AgentSession;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// Several gateway processes, started by the test, sharing one real redis-server and one store:
/// what arrives at one instance reaches agents connected to another, racing instances never
/// double-assign, and a killed instance loses nothing.
/// </summary>
public sealed class MultiInstanceTests
{
    private static readonly string PluginsJson = """
        { "plugins": [ { "id": "probe", "plugin": "VersionProbeA", "settings": { "Greeting": "multi" } } ] }
        """;

    [Fact]
    public async Task ConversationArrivingAtInstanceA_ReachesAnAgentConnectedToInstanceB_Live()
    {
        var cluster = GatewayProcess.Cluster.Create(PluginsJson);
        await using var a = await GatewayProcess.StartAsync(cluster);
        await using var b = await GatewayProcess.StartAsync(cluster);
        await using var alice = await AgentSession.StartAsync(b.BaseAddress, "alice", GatewayHost.DemoPassword, online: true);
        using var httpA = a.CreateClient();

        var id = (await RoutingTests.Inbound(httpA, "x1", "+10000000001", "asked at A")).GetProperty("conversationId").GetGuid();

        var assigned = await alice.NextAssignedAsync();
        Assert.Equal(id, assigned.Id);
        await alice.ReplyAsync(id, "answered from B");
        var sent = await alice.NextStatusAsync(m => m.Status == "sent");

        // Sent exactly once, by whichever instance claimed it.
        using var httpB = b.CreateClient();
        var outboxes = new[] { await httpA.GetStringAsync("/channels/probe/outbox"), await httpB.GetStringAsync("/channels/probe/outbox") };
        Assert.Equal(1, outboxes.Sum(o => JsonDocument.Parse(o).RootElement.GetArrayLength()));
    }

    [Fact]
    public async Task TwoInstancesRacing_NeverDoubleAssign_AndRespectCapacity()
    {
        var cluster = GatewayProcess.Cluster.Create(PluginsJson);
        await using var a = await GatewayProcess.StartAsync(cluster);
        await using var b = await GatewayProcess.StartAsync(cluster);
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();

        // Agents sign in on both instances while conversations pour into both.
        var agents = new List<AgentSession>();
        var arrivals = Enumerable.Range(0, 40).Select(i => RoutingTests.Inbound(i % 2 == 0 ? httpA : httpB, $"r{i}", $"+1666{i:D7}", $"question {i}")).ToList();
        var signIns = new[] { ("alice", a), ("bob", b), ("carol", a) }.Select(async x =>
        {
            var session = await AgentSession.StartAsync(x.Item2.BaseAddress, x.Item1, GatewayHost.DemoPassword, online: true);
            lock (agents)
            {
                agents.Add(session);
            }
        }).ToList();
        await Task.WhenAll(arrivals.Cast<Task>().Concat(signIns));

        // alice and bob serve pre-sale (carol does not): 3 each.
        await AssertConsistentAsync(cluster, expectedAssigned: 6, total: 40);
        foreach (var agent in agents)
        {
            await agent.DisposeAsync();
        }
    }

    [Fact]
    public async Task InstanceKilledInTheMiddleOfRoutingWork_AfterRestartNothingIsLostOrAssignedTwice()
    {
        var cluster = GatewayProcess.Cluster.Create(PluginsJson);
        var a = await GatewayProcess.StartAsync(cluster);
        await using var b = await GatewayProcess.StartAsync(cluster);
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();
        await using var alice = await AgentSession.StartAsync(b.BaseAddress, "alice", GatewayHost.DemoPassword, online: true);

        // A burst into instance A, killed part-way through; every message A acknowledged must survive.
        var acknowledged = new List<string>();
        var tenAcknowledged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var burst = Enumerable.Range(0, 60).Select(async i =>
        {
            try
            {
                await RoutingTests.Inbound(httpA, $"k{i}", $"+1777{i:D7}", $"question {i}");
                lock (acknowledged)
                {
                    acknowledged.Add($"k{i}");
                    if (acknowledged.Count == 10)
                    {
                        tenAcknowledged.TrySetResult();
                    }
                }
            }
            catch (HttpRequestException)
            {
                // the instance died before answering: the provider would retry
            }
        }).ToList();
        await tenAcknowledged.Task.WaitAsync(TimeSpan.FromSeconds(30));
        a.Kill();
        await Task.WhenAll(burst);
        await a.DisposeAsync();

        // The provider retries what was not acknowledged, at the surviving instance.
        var retried = Enumerable.Range(0, 60).Select(i => $"k{i}").Except(acknowledged)
            .Select(id => RoutingTests.Inbound(httpB, id, $"+1777{int.Parse(id[1..]):D7}", $"question {id[1..]}"));
        await Task.WhenAll(retried);

        // A restarted instance reconciles Redis with the store.
        await using var restarted = await GatewayProcess.StartAsync(cluster);
        await using var bob = await AgentSession.StartAsync(restarted.BaseAddress, "bob", GatewayHost.DemoPassword, online: true);

        await using (var db = cluster.CreateDbContext())
        {
            foreach (var id in acknowledged)
            {
                Assert.Equal(1, await db.Messages.CountAsync(m => m.ProviderMessageId == id));
            }

            Assert.Equal(60, await db.Messages.CountAsync(m => m.Direction == MessageDirection.In));
        }

        await AssertConsistentAsync(cluster, expectedAssigned: 6, total: 60);
    }

    [Fact]
    public async Task MessageStoredByInstanceA_RedeliveredToInstanceB_IsADuplicate_ThoughBHasServedTheCustomerBefore()
    {
        var cluster = GatewayProcess.Cluster.Create(PluginsJson);
        await using var a = await GatewayProcess.StartAsync(cluster);
        await using var b = await GatewayProcess.StartAsync(cluster);
        using var httpA = a.CreateClient();
        using var httpB = b.CreateClient();

        // B knows the customer (and what it stored for them) before A stores the next message.
        await RoutingTests.Inbound(httpB, "d-1", "+18880000001", "first, at B");
        var stored = await RoutingTests.Inbound(httpA, "d-2", "+18880000001", "second, at A");
        // The load balancer sends the provider's retry of d-2 to B.
        var again = await RoutingTests.Inbound(httpB, "d-2", "+18880000001", "second, at A");

        Assert.True(again.GetProperty("duplicate").GetBoolean(), "a retry of a message another instance stored is a duplicate");
        Assert.Equal(stored.GetProperty("messageId").GetString(), again.GetProperty("messageId").GetString());
        await using var db = cluster.CreateDbContext();
        Assert.Equal(1, await db.Messages.CountAsync(m => m.ProviderMessageId == "d-2"));
        Assert.Equal(2, await db.Messages.CountAsync(m => m.Direction == MessageDirection.In));
    }

    /// <summary>Every conversation is either waiting in its queue or held by exactly one agent, in the store and in Redis alike.</summary>
    private static async Task AssertConsistentAsync(GatewayProcess.Cluster cluster, int expectedAssigned, int total)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(cluster.Redis);
        var r = redis.GetDatabase();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            await using var db = cluster.CreateDbContext();
            var conversations = await db.Conversations.ToListAsync();
            var assigned = conversations.Where(c => c.Status == ConversationStatus.Assigned).ToList();
            if (assigned.Count != expectedAssigned && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
                continue;
            }

            Assert.Equal(total, conversations.Count);
            Assert.Equal(expectedAssigned, assigned.Count);
            foreach (var group in assigned.GroupBy(c => c.AssignedAgentId))
            {
                var members = (await r.SetMembersAsync($"{cluster.KeyPrefix}a:{group.Key:N}:c")).Select(v => Guid.ParseExact(v.ToString(), "N")).ToHashSet();
                Assert.True(members.SetEquals(group.Select(c => c.Id)), "Redis and the store disagree on an agent's conversations");
                Assert.InRange(members.Count, 1, 3);
            }

            var waiting = conversations.Where(c => c.Status == ConversationStatus.Waiting).ToList();
            var queued = (await r.SortedSetRangeByRankAsync($"{cluster.KeyPrefix}q:pre-sale")).Select(v => Guid.ParseExact(v.ToString(), "N")).ToHashSet();
            Assert.True(queued.SetEquals(waiting.Select(c => c.Id)), $"{waiting.Count} waiting in the store, {queued.Count} queued in Redis");
            return;
        }
    }
}

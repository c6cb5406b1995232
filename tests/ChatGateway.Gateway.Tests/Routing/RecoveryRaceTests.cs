using System.Net.Http.Json;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// Recovery keeps Redis in step with the store, but Redis decides first and the store follows: a recovery that
/// read an assignment just before a requeue (the grace of a lost desk running out at the same moment, or a
/// requeue whose store update was cut short) must not give the conversation back to the agent who lost it.
/// </summary>
public sealed class RecoveryRaceTests
{
    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task Recovery_StoreStillSaysAssigned_ButRedisRequeuedIt_LeavesItWaiting_AndTheStoreFollows(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend);
        using var carol = host.CreateClient();
        (await carol.PostAsJsonAsync("/api/auth/login", new { userName = "carol", password = GatewayHost.DemoPassword })).EnsureSuccessStatusCode();
        (await carol.PutAsJsonAsync("/api/agents/me/presence", new { presence = "online" })).EnsureSuccessStatusCode();
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "rr1", "+10000000301", "where is my parcel?")).GetProperty("conversationId").GetGuid();
        Guid carolId;
        await using (var db = host.CreateDbContext())
        {
            var row = await db.Conversations.SingleAsync(c => c.Id == id);
            Assert.Equal(ConversationStatus.Assigned, row.Status);
            carolId = row.AssignedAgentId!.Value;
        }

        // Redis hands her conversations on (she went offline), and the store has not followed yet.
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();
        await routing.SetPresenceAsync(carolId, AgentPresence.Offline, 3, ["logistics", "after-sale"]);
        await routing.RequeueAgentAsync(carolId);
        Assert.True(await routing.IsWaitingAsync(id, "logistics"));

        await host.Services.GetRequiredService<RoutingRecoveryService>().RecoverAsync(CancellationToken.None);

        Assert.True(await routing.IsWaitingAsync(id, "logistics"), "recovery gave the conversation back to the agent who had gone");
        Assert.Null(await routing.GetAssignedAgentAsync(id));
        Assert.Equal(0, await routing.GetLoadAsync(carolId));
        await using var after = host.CreateDbContext();
        var conversation = await after.Conversations.SingleAsync(c => c.Id == id);
        Assert.Equal((ConversationStatus.Waiting, (Guid?)null), (conversation.Status, conversation.AssignedAgentId));
    }
}

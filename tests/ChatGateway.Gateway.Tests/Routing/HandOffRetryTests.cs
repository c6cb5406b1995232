using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>A hand-off to routing that fails is retried at once with backoff, not left for the minute-long recovery.</summary>
public sealed class HandOffRetryTests
{
    [Fact]
    public async Task CustomerWritingWhileRedisIsDown_IsQueuedAndToldTheirPlaceWithinSecondsOfRedisComingBack()
    {
        await using var redis = DedicatedRedis.Start();
        await using var host = await GatewayHost.StartAsync(RedisBackend.Garnet, settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000,connectTimeout=1000",
            ["Routing:RecoveryInterval"] = "01:00:00", // the safety net must not be what saves this customer
        });
        await using var visitor = await Visitor.ArriveAsync(host);

        redis.Stop();
        await visitor.SendOkAsync("hello, anyone?"); // stored and acknowledged; the hand-off to routing fails
        await using (var db = host.CreateDbContext())
        {
            Assert.Equal(ConversationStatus.Waiting, (await db.Conversations.SingleAsync()).Status);
        }

        await Task.Delay(1500); // a few failed retries while Redis is away
        redis.Restart();

        // Nobody is online: the customer is told their place in line (the widget's status frame).
        var status = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "status" && f.TryGetProperty("queuePosition", out var p) && p.ValueKind == System.Text.Json.JsonValueKind.Number, TimeSpan.FromSeconds(20));
        Assert.Equal(1, status.GetProperty("queuePosition").GetInt32());
        await using var check = host.CreateDbContext();
        var conversation = await check.Conversations.SingleAsync();
        Assert.True(await host.Services.GetRequiredService<RedisRoutingStore>().IsWaitingAsync(conversation.Id, conversation.Skill));
    }

    [Fact]
    public async Task RedisDown_TheAgentOnTheSameInstanceStillSeesTheCustomersNextMessageLive()
    {
        await using var redis = DedicatedRedis.Start();
        await using var host = await GatewayHost.StartAsync(RedisBackend.Garnet, settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000,connectTimeout=1000",
        });
        await using var alice = await host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("这件外套还有M码吗?");
        var conversation = await alice.NextAssignedAsync(TimeSpan.FromSeconds(20));

        // The live events of this instance reach its own desks in process: Redis only carries them to other instances.
        redis.Stop();
        await visitor.SendOkAsync("还在吗");
        var (conversationId, message) = await alice.NextMessageAsync(m => m.Text == "还在吗", TimeSpan.FromSeconds(10));
        Assert.Equal(conversation.Id, conversationId);
        Assert.Equal("in", message.Direction);
    }

    [Theory]
    [InlineData(1, 0.5, 200)]
    [InlineData(2, 0.5, 400)]
    [InlineData(6, 0.5, 6400)]
    [InlineData(7, 0.5, 10000)]
    [InlineData(40, 0.5, 10000)]
    [InlineData(1, 0.0, 160)]
    [InlineData(7, 1.0, 12000)]
    public void Backoff_DoublesFromAFifthOfASecond_UpToTenSeconds_WithJitter(int attempt, double random, int milliseconds) =>
        Assert.Equal(milliseconds, (int)Math.Round(HandOffRetryService.Backoff(attempt, random).TotalMilliseconds));
}

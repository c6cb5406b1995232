using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>
/// Routing never strands a customer: avoiding an agent only means preferring others, and an agent whose
/// desk is gone gets no new work during the grace. On a fake clock, on Garnet and on a real Redis.
/// </summary>
public sealed class NeverStrandedTests
{
    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task OnlyAgentOfASkill_LosesTheDeskPastTheGrace_AndComesBack_GetsTheConversationAgain(RedisBackend backend)
    {
        // The case found by hand: "logistics 1 waiting, 1 agent available", forever.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(backend, clock: clock, settings: new Dictionary<string, string?> { ["Routing:DisconnectGrace"] = "00:01:00" });
        var carol = await host.SignInAsync("carol"); // the only logistics agent
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "s1", "+10000000101", "where is my parcel?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(id, (await carol.NextAssignedAsync()).Id);

        await carol.Hub.StopAsync(); // her desk drops
        var tracker = host.Services.GetRequiredService<AgentConnectionTracker>();
        await WaitUntilAsync(() => tracker.IsInGracePeriodAsync(carol.Agent.Id), "the gateway notices the lost desk");
        clock.Advance(TimeSpan.FromSeconds(61));
        await tracker.CheckAsync(CancellationToken.None);
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();
        await WaitUntilAsync(() => routing.IsWaitingAsync(id, "logistics"), "past the grace her conversation is back in the queue");
        await carol.DisposeAsync();

        // She comes back: a new desk, online. Nobody else serves logistics, so she gets it although she was "avoided".
        await using var back = await host.SignInAsync("carol");
        Assert.Equal(id, (await back.NextAssignedAsync()).Id);
        Assert.Equal(0, await routing.GetWaitingCountAsync("logistics"));
        await using var db = host.CreateDbContext();
        var conversation = await db.Conversations.SingleAsync(c => c.Id == id);
        Assert.Equal((ConversationStatus.Assigned, carol.Agent.Id), (conversation.Status, conversation.AssignedAgentId));
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task AgentWhoTransfersToAQueueOnlyTheyServe_DoesNotGetItStraightBack_ButItIsNotStrandedWhenRoutingRunsAgain(RedisBackend backend)
    {
        // Decision: a deliberate transfer is not undone in the same step (bob would just see it bounce back),
        // but "avoid bob" only means "prefer others": when the queue is served again and still nobody else
        // could take it, bob gets it rather than the customer waiting for nobody. (Before: the transferred
        // conversation was skipped by every later dispatch and pull while bob served newer customers.)
        await using var host = await GatewayHost.StartAsync(backend);
        await using var bob = await host.SignInAsync("bob"); // alice, the other pre-sale agent, stays away
        using var http = host.CreateClient();
        var first = (await RoutingTests.Inbound(http, "s2", "+10000000102", "hello, is this in stock?")).GetProperty("conversationId").GetGuid();
        Assert.Equal(first, (await bob.NextAssignedAsync()).Id);

        var transfer = await bob.Http.PostAsJsonAsync($"/api/conversations/{first}/transfer", new { toSkill = "pre-sale", note = "someone with more stock knowledge" });
        Assert.Equal(HttpStatusCode.OK, transfer.StatusCode);
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();
        Assert.True(await routing.IsWaitingAsync(first, "pre-sale"), "not handed straight back to bob");
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)));

        // The next customer of the queue: routing runs again, still nobody but bob. The older one goes first.
        var second = (await RoutingTests.Inbound(http, "s3", "+10000000103", "hello again, another question")).GetProperty("conversationId").GetGuid();
        var got = new[] { (await bob.NextAssignedAsync()).Id, (await bob.NextAssignedAsync()).Id };
        Assert.Equal([first, second], got);
        Assert.Equal(0, await routing.GetWaitingCountAsync("pre-sale"));
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task AgentsWhoseDesksAreGone_DoNotBounceAConversationBetweenThem(RedisBackend backend)
    {
        // Before: alice and bob both lost their desks (still "online" during a long grace); the no-answer
        // watch passed the conversation from one to the other every 2 minutes: "passed on 3x", nobody there.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(backend, clock: clock, settings: new Dictionary<string, string?>
        {
            ["Routing:DisconnectGrace"] = "00:30:00",
            ["Routing:NoAnswerTimeout"] = "00:02:00",
            ["Routing:ResponseTarget"] = "01:00:00",
        });
        await using var alice = await host.SignInAsync("alice");
        await using var bob = await host.SignInAsync("bob");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "s4", "+10000000104", "hello?")).GetProperty("conversationId").GetGuid();
        var holder = (await await Task.WhenAny(alice.NextAssignedAsync(), bob.NextAssignedAsync())).AssignedAgentId;

        await alice.Hub.StopAsync();
        await bob.Hub.StopAsync();
        var tracker = host.Services.GetRequiredService<AgentConnectionTracker>();
        await WaitUntilAsync(async () => await tracker.IsInGracePeriodAsync(alice.Agent.Id) && await tracker.IsInGracePeriodAsync(bob.Agent.Id), "both desks noticed gone");

        var watch = host.Services.GetRequiredService<ResponseWatchService>();
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromSeconds(121));
            await watch.CheckAsync(CancellationToken.None);
        }

        await using var db = host.CreateDbContext();
        var conversation = await db.Conversations.SingleAsync(c => c.Id == id);
        Assert.Equal((0, holder), (conversation.TransferCount, conversation.AssignedAgentId));
        Assert.False(conversation.NeedsSupervisor);
        Assert.Empty(await db.Messages.Where(m => m.ConversationId == id && m.Direction == MessageDirection.Note).ToListAsync());
    }

    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task AgentWhoseDeskIsGone_GetsNoNewCustomers_AndTakesThemAtOnceWhenTheDeskIsBackWithinTheGrace(RedisBackend backend)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(backend, clock: clock, settings: new Dictionary<string, string?> { ["Routing:DisconnectGrace"] = "00:05:00" });
        await using var carol = await host.SignInAsync("carol");
        using var http = host.CreateClient();
        await carol.Hub.StopAsync();
        var tracker = host.Services.GetRequiredService<AgentConnectionTracker>();
        await WaitUntilAsync(() => tracker.IsInGracePeriodAsync(carol.Agent.Id), "the lost desk noticed");

        // New customers while she is gone: not hers (nor transfers to her), they wait.
        var id = (await RoutingTests.Inbound(http, "s5", "+10000000105", "tracking number please")).GetProperty("conversationId").GetGuid();
        var routing = host.Services.GetRequiredService<RedisRoutingStore>();
        Assert.True(await routing.IsWaitingAsync(id, "logistics"), "a lost desk gets no new conversation");
        Assert.Equal(0, await routing.GetLoadAsync(carol.Agent.Id));
        await using var bob = await host.SignInAsync("bob");
        var refund = (await RoutingTests.Inbound(http, "s7", "+10000000107", "I want a refund")).GetProperty("conversationId").GetGuid();
        Assert.Equal(refund, (await bob.NextAssignedAsync()).Id); // after-sale: bob and carol serve it; only bob's desk is there
        var transfer = await bob.Http.PostAsJsonAsync($"/api/conversations/{refund}/transfer", new { toAgent = "carol" });
        Assert.Equal(HttpStatusCode.Conflict, transfer.StatusCode);
        Assert.Equal(0, await routing.GetLoadAsync(carol.Agent.Id));

        // Her desk is back within the grace: she takes the waiting customer at once, without touching presence.
        clock.Advance(TimeSpan.FromMinutes(1));
        await carol.Hub.StartAsync();
        Assert.Equal(id, (await carol.NextAssignedAsync()).Id);
        Assert.False(await tracker.IsInGracePeriodAsync(carol.Agent.Id));
    }

    [Fact]
    public async Task AgentWhoNeverOpenedADesk_StillGetsCustomers()
    {
        // API clients (and the bench) never connect the hub: they are never marked lost.
        await using var host = await GatewayHost.StartAsync();
        using var carol = host.CreateClient();
        (await carol.PostAsJsonAsync("/api/auth/login", new { userName = "carol", password = GatewayHost.DemoPassword })).EnsureSuccessStatusCode();
        (await carol.PutAsJsonAsync("/api/agents/me/presence", new { presence = "online" })).EnsureSuccessStatusCode();
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "s6", "+10000000106", "where is my parcel")).GetProperty("conversationId").GetGuid();

        await using var db = host.CreateDbContext();
        Assert.Equal(ConversationStatus.Assigned, (await db.Conversations.SingleAsync(c => c.Id == id)).Status);
    }

    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }

    internal static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, what);
            await Task.Delay(20);
        }
    }
}

using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Routing;

/// <summary>Customers are not left unanswered: no-answer reassignment and the response-target alert, on a fake clock.</summary>
public sealed class NoAnswerTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["Routing:NoAnswerTimeout"] = "00:02:00",
        ["Routing:ResponseTarget"] = "00:05:00",
    };

    [Fact]
    public async Task AgentWhoDoesNotAnswerInTime_LosesTheConversationToAnotherAgent_WithANote()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Settings);
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "n1", "+10000000001", "hello?")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await using var bob = await host.SignInAsync("bob");
        var watch = host.Services.GetRequiredService<ResponseWatchService>();

        clock.Advance(TimeSpan.FromSeconds(119));
        await watch.CheckAsync(CancellationToken.None);
        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(200)), "within the timeout nothing moves");

        clock.Advance(TimeSpan.FromSeconds(2));
        await watch.CheckAsync(CancellationToken.None);
        var moved = await bob.NextAssignedAsync();
        Assert.Equal(id, moved.Id);
        Assert.Equal("Alice did not answer within 120 s; offered to another agent.", moved.Messages![^1].Text);
        Assert.Equal(id, await alice.NextRemovedAsync());
    }

    [Fact]
    public async Task AgentWhoAnswered_KeepsTheConversation()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Settings);
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "n2", "+10000000002", "hello?")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await using var bob = await host.SignInAsync("bob");
        await alice.ReplyAsync(id, "Hi! Looking into it.");

        clock.Advance(TimeSpan.FromMinutes(10));
        await host.Services.GetRequiredService<ResponseWatchService>().CheckAsync(CancellationToken.None);

        Assert.True(await bob.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(300)));
        Assert.Single(await alice.ListAsync());
    }

    [Fact]
    public async Task CustomerUnansweredPastTheResponseTarget_RaisesAnAlertOnTheDesk_Once()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: Settings);
        await using var alice = await host.SignInAsync("alice"); // the only pre-sale agent: nobody to reassign to
        using var http = host.CreateClient();
        var id = (await RoutingTests.Inbound(http, "n3", "+10000000003", "hello?")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        var watch = host.Services.GetRequiredService<ResponseWatchService>();

        clock.Advance(TimeSpan.FromMinutes(4));
        await watch.CheckAsync(CancellationToken.None);
        Assert.Single(await alice.ListAsync()); // nobody else could take it

        clock.Advance(TimeSpan.FromMinutes(2));
        await watch.CheckAsync(CancellationToken.None);
        Assert.Equal(id, await alice.NextOverdueAsync());
        await watch.CheckAsync(CancellationToken.None);
        await Assert.ThrowsAsync<TimeoutException>(() => alice.NextOverdueAsync(TimeSpan.FromMilliseconds(300)));
    }
}

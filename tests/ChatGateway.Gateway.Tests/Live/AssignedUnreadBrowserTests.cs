using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Live;

/// <summary>
/// A conversation that waited in the queue arrives on the desk (live, no reload, no list read) with its unread count and
/// the customer's newest message as its preview, while the agent stays in another conversation.
/// </summary>
public sealed class AssignedUnreadBrowserTests
{
    [Fact]
    public async Task QueuedConversationAssignedLive_ShowsItsUnreadCountAndPreviewAtOnce()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        // Bob serves a first customer: that conversation is open in the thread.
        await using var first = await Visitor.ArriveAsync(host);
        await first.SendOkAsync("I want to complain about a late parcel");
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToContainTextAsync("late parcel");

        // Bob steps away; a second customer writes three times and waits in the queue.
        await desk.RunAndWaitForResponseAsync(
            () => desk.GetByTestId("desk-presence").SelectOptionAsync("away"),
            r => r.Url.EndsWith("/api/agents/me/presence", StringComparison.Ordinal) && r.Ok);
        await using var second = await Visitor.ArriveAsync(host);
        await second.SendOkAsync("I want to complain about my refund");
        await second.SendOkAsync("It has been two weeks");
        await second.SendOkAsync("Order 20261207 please");
        await Expect(desk.GetByTestId("desk-conversation")).ToHaveCountAsync(1);

        // Back online: the waiting conversation is his at once, with 3 unread and the newest message as its preview.
        var lists = 0;
        desk.Request += (_, r) => { if (r.Method == "GET" && r.Url.EndsWith("/api/conversations", StringComparison.Ordinal)) { lists++; } };
        await desk.GetByTestId("desk-presence").SelectOptionAsync("online");
        var arrived = desk.Locator("[data-testid=desk-conversation]", new() { HasText = "Order 20261207 please" });
        await Expect(arrived).ToHaveCountAsync(1);
        await Expect(arrived.GetByTestId("desk-unread")).ToHaveAttributeAsync("data-count", "3");
        await Expect(arrived.GetByTestId("desk-unread")).ToHaveTextAsync("3");
        await Expect(arrived.GetByTestId("desk-conversation-preview")).ToHaveTextAsync("Order 20261207 please");
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToContainTextAsync("late parcel");
        await Expect(desk).ToHaveTitleAsync(new System.Text.RegularExpressions.Regex(@"^\(3\) "));
        Assert.Equal(0, lists);
        Assert.Empty(errors);
    }
}

using System.Text.RegularExpressions;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Live;

/// <summary>
/// The agent's workspace live, in Chromium against the real gateway: a shop page with the widget and the agent's desk
/// see each other type and read, and the desk's unread counts and previews come back after a reload.
/// </summary>
public sealed partial class LiveActivityBrowserTests
{
    [Fact]
    public async Task TypingBothWays_ReadBothWays_AndUnreadCountWithPreview_SurviveADeskReload()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add(e);
        await Browser.OpenChatAsync(shop);

        // The customer writes; the conversation opens on the desk, and the agent having it open marks it read: "Read" under it in the widget.
        await shop.GetByTestId("cgw-input").FillAsync("I want to complain about my order");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToContainTextAsync("complain about my order");
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in] [data-testid=cgw-read]")).ToHaveCountAsync(1);
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in] [data-testid=cgw-read]")).ToHaveTextAsync(ReadText());

        // The customer types: the desk shows it in the thread and the list; their message ends it.
        await shop.GetByTestId("cgw-input").FillAsync("My order number is");
        await Expect(desk.GetByTestId("desk-customer-typing")).ToHaveTextAsync(CustomerTypingText());
        await Expect(desk.GetByTestId("desk-list-typing")).ToBeVisibleAsync();
        await shop.GetByTestId("cgw-input").FillAsync("My order number is 10086");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToHaveCountAsync(2);
        await Expect(desk.GetByTestId("desk-customer-typing")).ToBeHiddenAsync();

        // The agent types: the widget shows it; their reply ends it, and the customer's open chat marks it read on the desk.
        await desk.GetByTestId("desk-reply").FillAsync("Let me check order 10086");
        await Expect(shop.GetByTestId("cgw-agent-typing")).ToHaveTextAsync(AgentTypingText());
        await desk.GetByTestId("desk-send").ClickAsync();
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=out]")).ToContainTextAsync("Let me check order 10086");
        await Expect(shop.GetByTestId("cgw-agent-typing")).ToBeHiddenAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=out] [data-testid=desk-message-read]")).ToHaveTextAsync(ReadText());

        string secondId;

        // A second customer writes twice while the agent is in the first conversation, which then moves to the top again.
        await using (var second = await Visitor.ArriveAsync(host))
        {
            await second.SendOkAsync("I want to complain about my refund");
            var arrived = desk.Locator("[data-testid=desk-conversation]", new() { HasText = "complain about my refund" });
            await Expect(arrived).ToHaveCountAsync(1);
            secondId = (await arrived.GetAttributeAsync("data-conversation-id"))!;
            await second.SendOkAsync("Nobody answered my email about it");
            await Expect(desk.Locator($"[data-conversation-id='{secondId}'] [data-testid=desk-unread]")).ToHaveAttributeAsync("data-count", "2");
        }

        await shop.GetByTestId("cgw-input").FillAsync("Thanks");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToHaveCountAsync(3);

        // After a reload the second conversation still shows its count, its preview and the tab's total.
        await desk.ReloadAsync();
        var waiting = desk.Locator($"[data-conversation-id='{secondId}']");
        await Expect(waiting.GetByTestId("desk-unread")).ToHaveAttributeAsync("data-count", "2");
        await Expect(waiting.GetByTestId("desk-unread")).ToHaveTextAsync("2");
        await Expect(waiting.GetByTestId("desk-conversation-preview")).ToHaveTextAsync("Nobody answered my email about it");
        await Expect(desk).ToHaveTitleAsync(new Regex(@"^\(2\) "));
        Assert.Empty(errors);
    }

    [GeneratedRegex("^(已读|Read)$")]
    private static partial Regex ReadText();

    [GeneratedRegex("顾客正在输入|Customer is typing")]
    private static partial Regex CustomerTypingText();

    [GeneratedRegex("客服正在输入|Agent is typing")]
    private static partial Regex AgentTypingText();
}

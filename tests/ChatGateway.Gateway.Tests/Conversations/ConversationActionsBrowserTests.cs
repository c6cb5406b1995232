using System.Globalization;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.ConversationActions;

/// <summary>
/// One agent's day with a web chat customer, in the desk and the shop's widget: a note (the widget never shows it), a reply
/// scheduled and cancelled, a snooze until the customer writes (the conversation goes to Snoozed and comes back with the
/// message), and a close with the reason "resolved".
/// </summary>
public sealed class ConversationActionsBrowserTests
{
    [Fact]
    public async Task Agent_NotesSchedulesSnoozesAndClosesWithAReason_TheCustomerSeesNoneOfTheNotes()
    {
        // No quiet hours (start = end), so that a time two hours ahead may be scheduled whenever the test runs.
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["FollowUps:QuietHours"] = "00:00-00:00" });
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString(), TimezoneId = "Asia/Shanghai" })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        await Browser.SignInOnlineAsync(desk, "bob");
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add("shop: " + e);
        await Browser.OpenChatAsync(shop);
        await shop.GetByTestId("cgw-input").FillAsync("你好，这件外套有M码吗？");
        await shop.GetByTestId("cgw-send").ClickAsync();

        var conversation = desk.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);
        await conversation.ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToContainTextAsync("有M码吗");

        // A note: yellow composer, shown to agents in the thread.
        await desk.GetByTestId("desk-mode-note").ClickAsync();
        await Expect(desk.GetByTestId("desk-reply")).ToHaveAttributeAsync("placeholder", "Only agents see notes");
        await desk.GetByTestId("desk-reply").FillAsync("老顾客，上次买过L码");
        await desk.GetByTestId("desk-send").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=note]")).ToContainTextAsync("老顾客，上次买过L码");
        await desk.GetByTestId("desk-mode-reply").ClickAsync();

        // A reply for later, seen above the composer, then cancelled.
        var at = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddHours(2), TimeZoneInfo.FindSystemTimeZoneById("Asia/Shanghai"));
        await desk.GetByTestId("desk-reply").FillAsync("M码明天上午到货");
        await desk.GetByTestId("desk-send-later").ClickAsync();
        await desk.GetByTestId("desk-send-later-at").FillAsync(at.ToString("yyyy-MM-dd'T'HH:mm", CultureInfo.InvariantCulture));
        await desk.GetByTestId("desk-send-later-confirm").ClickAsync();
        var scheduled = desk.GetByTestId("desk-scheduled-item");
        await Expect(scheduled).ToHaveCountAsync(1);
        await Expect(scheduled).ToContainTextAsync("M码明天上午到货");
        await Expect(desk.GetByTestId("desk-reply")).ToHaveValueAsync("");
        await desk.GetByTestId("desk-scheduled-cancel").ClickAsync();
        await Expect(scheduled).ToHaveCountAsync(0);

        // Snoozed until the customer writes: into the Snoozed section; back with the customer's message.
        await desk.GetByTestId("desk-snooze").ClickAsync();
        await desk.GetByTestId("desk-snooze-reply").ClickAsync();
        await Expect(desk.GetByTestId("desk-snoozed-section")).ToBeVisibleAsync();
        await Expect(conversation).ToHaveAttributeAsync("data-snoozed", "true");
        await Expect(conversation.GetByTestId("desk-snoozed-badge")).ToContainTextAsync("until the customer replies");
        await shop.GetByTestId("cgw-input").FillAsync("那L码呢？");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(conversation).ToHaveAttributeAsync("data-snoozed", "false");
        await Expect(desk.GetByTestId("desk-snoozed-section")).ToHaveCountAsync(0);
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]").Last).ToContainTextAsync("那L码呢");

        // The widget shows the customer's own messages only: no note, no cancelled reply.
        await Expect(shop.GetByTestId("cgw-message")).ToHaveCountAsync(2);
        await Expect(shop.GetByTestId("cgw-message").Filter(new() { HasText = "老顾客" })).ToHaveCountAsync(0);

        // Closed with a reason.
        await desk.GetByTestId("desk-close-reason").ClickAsync();
        await desk.Locator("[data-testid=desk-close-reason-item][data-reason=resolved]").ClickAsync();
        await Expect(desk.GetByTestId("desk-toast")).ToContainTextAsync("Conversation closed: Resolved");
        await Expect(conversation).ToHaveCountAsync(0);
        await Expect(shop.GetByTestId("cgw-status")).ToHaveAttributeAsync("data-status", "closed");
        Assert.Empty(errors);
    }
}

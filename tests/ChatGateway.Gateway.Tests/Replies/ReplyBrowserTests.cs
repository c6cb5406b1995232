using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Replies;

/// <summary>The desk's reply channel picker and a failed reply's retry and resend, with the customer's web chat open, in a real browser.</summary>
public sealed class ReplyBrowserTests
{
    [Fact]
    public async Task Desk_PicksTheReplyChannel_AndAFailedSmsIsRetriedOrSentByWebChat_WhichTheWidgetShows()
    {
        await using var customer = await TwoChannelCustomer.StartAsync();
        var host = customer.Host;
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();

        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        await Browser.SignInOnlineAsync(desk, "alice");

        // The customer asks on the shop's web chat, then texts the shop from their phone (joined to them in the store).
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add("shop: " + e);
        await Browser.OpenChatAsync(shop);
        await shop.GetByTestId("cgw-input").FillAsync("do you have this jacket in M?");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(desk.GetByTestId("desk-conversation")).ToHaveCountAsync(1);
        Guid conversationId;
        await using (var db = host.CreateDbContext())
        {
            conversationId = await db.Conversations.Select(c => c.Id).SingleAsync();
        }

        var contactId = await customer.ContactOfAsync(conversationId);
        var webChat = await customer.IdentityAsync("webchat", await customer.WebChatVisitorIdAsync(contactId));
        var sms = await customer.AddIdentityAsync(contactId, "sms-main", TwoChannelCustomer.Phone);
        await customer.TextAsync("SM-browser-1", "and in L?");

        // The agent opens it: "Reply via" offers both channels, the SMS (latest) preselected.
        await desk.GetByTestId("desk-conversation").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]").Last).ToContainTextAsync("and in L?");
        var picker = desk.GetByTestId("desk-reply-channel");
        await Expect(picker.Locator("option")).ToHaveCountAsync(2);
        await Expect(picker).ToHaveValueAsync(sms.ToString());
        await Expect(picker.Locator("option:checked")).ToContainTextAsync("SMS " + TwoChannelCustomer.Phone);

        // The SMS is refused: the desk says why and offers a retry and the web chat.
        customer.Twilio.FailNext(1, 400, 21211, "The 'To' number is not a valid phone number.");
        await desk.GetByTestId("desk-reply").FillAsync("L ships tomorrow");
        await desk.GetByTestId("desk-send").ClickAsync();
        var first = desk.Locator("[data-testid=desk-message][data-direction=out]").Filter(new() { HasText = "L ships tomorrow" });
        await Expect(first).ToHaveAttributeAsync("data-status", "failed");
        await Expect(first.GetByTestId("desk-message-error")).ToContainTextAsync("21211");
        await Expect(first.GetByTestId("desk-resend")).ToHaveTextAsync("Send via Web chat");

        // Retry: it goes out by SMS, and the customer's open web chat shows it, marked as sent by SMS.
        await first.GetByTestId("desk-retry").ClickAsync();
        await Expect(first).ToHaveAttributeAsync("data-status", "sent");
        Assert.Equal(2, customer.Twilio.Requests.Count(r => r.Body == "L ships tomorrow"));
        var shown = shop.Locator("[data-testid=cgw-message][data-direction=out]").Filter(new() { HasText = "L ships tomorrow" });
        await Expect(shown.GetByTestId("cgw-sent-via")).ToHaveTextAsync("Sent by SMS");

        // Refused again: sent by web chat instead; the failed one is marked, the new one shows its channel.
        customer.Twilio.FailNext(1, 400, 21211, "The 'To' number is not a valid phone number.");
        await desk.GetByTestId("desk-reply").FillAsync("shall I reserve one?");
        await desk.GetByTestId("desk-send").ClickAsync();
        var second = desk.Locator("[data-testid=desk-message][data-direction=out]").Filter(new() { HasText = "shall I reserve one?" });
        await Expect(second.GetByTestId("desk-resend")).ToBeVisibleAsync();
        await second.GetByTestId("desk-resend").ClickAsync();
        await Expect(second).ToHaveCountAsync(2);
        await Expect(second.First).ToHaveAttributeAsync("data-status", "resent");
        await Expect(second.First.GetByTestId("desk-retry")).ToHaveCountAsync(0);
        await Expect(second.Last).ToHaveAttributeAsync("data-channel", "webchat");
        await Expect(second.Last).ToHaveAttributeAsync("data-status", "delivered");
        var onWidget = shop.Locator("[data-testid=cgw-message][data-direction=out]").Filter(new() { HasText = "shall I reserve one?" });
        await Expect(onWidget).ToHaveCountAsync(1);
        await Expect(onWidget.GetByTestId("cgw-sent-via")).ToHaveCountAsync(0);

        // The agent picks the web chat for the next reply: it goes there, not by SMS.
        await picker.SelectOptionAsync(webChat.ToString());
        await desk.GetByTestId("desk-reply").FillAsync("anything else?");
        await desk.GetByTestId("desk-send").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=out]").Filter(new() { HasText = "anything else?" })).ToHaveAttributeAsync("data-channel", "webchat");
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=out]").Filter(new() { HasText = "anything else?" })).ToHaveCountAsync(1);
        Assert.DoesNotContain(customer.Twilio.Requests, r => r.Body == "anything else?");
        await Expect(picker).ToHaveValueAsync(webChat.ToString());

        Assert.Empty(errors);
    }
}

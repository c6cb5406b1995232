using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Desk;

/// <summary>
/// The shop's widget in a real browser: the visitor picks an emoji from the picker into their message and sends it (the
/// agent gets it as typed); an address in the agent's reply is a link that opens apart from the shop (new tab, no
/// referrer, nofollow), while a <c>javascript:</c> text in the same reply stays plain text.
/// </summary>
public sealed class WidgetEmojiAndLinksBrowserTests
{
    [Fact]
    public async Task VisitorSendsAnEmojiFromThePicker_AndTheAgentsLinkIsClickableButJavascriptTextIsNot()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var shop = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        shop.PageError += (_, e) => errors.Add(e);
        shop.Dialog += (_, d) => errors.Add("dialog: " + d.Message);
        await Browser.OpenChatAsync(shop);

        // The picker opens beside the box; a click puts the emoji where the caret is, and closes the picker.
        await shop.GetByTestId("cgw-input").FillAsync("你好，这件外套有M码吗");
        await shop.GetByTestId("cgw-emoji-open").ClickAsync();
        var picker = shop.GetByTestId("cgw-emoji-picker");
        await Expect(picker).ToBeVisibleAsync();
        await Expect(shop.GetByTestId("cgw-emoji-open")).ToHaveAttributeAsync("aria-expanded", "true");
        var picked = picker.Locator("[data-testid=cgw-emoji]").Nth(2);
        var emoji = (await picked.GetAttributeAsync("data-emoji"))!;
        Assert.False(string.IsNullOrWhiteSpace(emoji));
        await picked.ClickAsync();
        await Expect(picker).ToBeHiddenAsync();
        await Expect(shop.GetByTestId("cgw-input")).ToHaveValueAsync("你好，这件外套有M码吗" + emoji);
        await shop.GetByTestId("cgw-send").ClickAsync();
        var assigned = await bob.NextAssignedAsync();
        var conversationId = assigned.Id;
        Assert.Equal(["你好，这件外套有M码吗" + emoji], assigned.Messages!.Where(m => m.Direction == "in").Select(m => m.Text));

        // Escape closes the picker without inserting anything.
        await shop.GetByTestId("cgw-emoji-open").ClickAsync();
        await Expect(picker).ToBeVisibleAsync();
        await shop.Keyboard.PressAsync("Escape");
        await Expect(picker).ToBeHiddenAsync();
        await Expect(shop.GetByTestId("cgw-input")).ToHaveValueAsync("");

        // The agent's reply: the http(s) address is a link (without the full stop after it); javascript: stays text.
        await bob.ReplyAsync(conversationId, "物流在这里查 https://shop.example.com/track?id=42. 请不要点 javascript:alert(1) 这种链接");
        var reply = shop.Locator("[data-testid=cgw-message][data-direction=out]").Last;
        await Expect(reply).ToContainTextAsync("javascript:alert(1)");
        var links = reply.Locator("a");
        await Expect(links).ToHaveCountAsync(1);
        var link = reply.GetByTestId("cgw-message-link");
        await Expect(link).ToHaveAttributeAsync("href", "https://shop.example.com/track?id=42");
        await Expect(link).ToHaveTextAsync("https://shop.example.com/track?id=42");
        await Expect(link).ToHaveAttributeAsync("rel", "noopener noreferrer nofollow");
        await Expect(link).ToHaveAttributeAsync("target", "_blank");
        Assert.Equal(0, await reply.Locator("a[href^='javascript' i]").CountAsync());
        Assert.Empty(errors);
    }
}

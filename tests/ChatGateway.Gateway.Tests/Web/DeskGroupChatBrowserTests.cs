using ChatGateway.Gateway.Tests.Chats;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Rich;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>
/// A group chat in the desk, in a real browser: the conversation named after the group, each member's name on their
/// message, a sticker shown as such (not as an empty bubble), the channel's reply window beside the composer, and the
/// customer's picture the channel reported.
/// </summary>
public sealed class DeskGroupChatBrowserTests
{
    [Fact]
    public async Task GroupChat_ShowsEachSpeaker_AStickerAsSuch_AndTheGroupsPicture()
    {
        await using var channel = await ChatChannel.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var context = await browser.NewContextAsync(new() { BaseURL = channel.Host.BaseAddress.ToString(), ViewportSize = new() { Width = 1400, Height = 900 } });
        var desk = await context.NewPageAsync();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        var group = new { id = "Cgroup7", title = "尺码咨询群 Sizes" };
        await channel.EventsAsync(new { id = "d-1", from = "Umei", name = "Mei", text = "Is the linen shirt true to size?", chat = group });
        await channel.EventsAsync(new { id = "d-2", from = "Uken", name = "Ken", text = "", chat = group, unsupported = new { kind = "sticker", summary = "thumbs up" } });
        await channel.ProfileAsync(new { externalId = "Cgroup7", avatarBase64 = Convert.ToBase64String(RichChannel.Png) });

        var conversation = desk.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);
        await Expect(conversation).ToContainTextAsync("尺码咨询群 Sizes");
        await conversation.ClickAsync();

        var messages = desk.Locator("[data-testid=desk-message][data-direction=in]");
        await Expect(messages).ToHaveCountAsync(2);
        await Expect(messages.Nth(0).GetByTestId("desk-message-speaker")).ToHaveTextAsync("Mei");
        await Expect(messages.Nth(1).GetByTestId("desk-message-speaker")).ToHaveTextAsync("Ken");
        var sticker = messages.Nth(1).GetByTestId("desk-message-unsupported");
        await Expect(sticker).ToHaveAttributeAsync("data-kind", "sticker");
        await Expect(messages.Nth(1)).ToContainTextAsync("thumbs up");
        // The channel's window for free-form answers (24 h from the group's last message), beside the composer.
        await Expect(desk.GetByTestId("desk-reply-window")).ToHaveAttributeAsync("data-open", "true");
        await Expect(desk.GetByTestId("desk-reply-window")).ToContainTextAsync("window until");

        // The group's picture, loaded from the gateway (the profile came after the conversation was listed: a reload).
        await desk.ReloadAsync();
        await desk.GetByTestId("desk-conversation").ClickAsync();
        var avatar = desk.GetByTestId("desk-contact-avatar");
        await Expect(avatar).ToBeVisibleAsync();
        await WaitForAsync(() => avatar.EvaluateAsync<int>("i => i.complete ? i.naturalWidth : 0"), w => w == 1);
        Assert.Empty(errors);
    }

    [Fact]
    public async Task WhereTheCustomerCameFrom_AndAPhotoThatCouldNotBeDownloaded_AreShownAsSuch()
    {
        await using var channel = await ChatChannel.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var context = await browser.NewContextAsync(new() { BaseURL = channel.Host.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 800 } });
        var desk = await context.NewPageAsync();
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        await channel.EventsAsync(new { id = "o-1", from = "Ubuyer", text = "Is the red dress still -20%?", origin = new { kind = "ad", reference = "120211", url = "https://shop.example.com/ads/120211", title = "红裙 Red dress -20%" } });
        await desk.GetByTestId("desk-conversation").ClickAsync();
        var first = desk.Locator("[data-testid=desk-message][data-direction=in]").Nth(0);
        var origin = first.GetByTestId("desk-message-origin");
        await Expect(origin).ToHaveTextAsync("Ad: 红裙 Red dress -20%");
        await Expect(origin).ToHaveAttributeAsync("href", "https://shop.example.com/ads/120211");
        await Expect(origin).ToHaveAttributeAsync("rel", "noopener noreferrer");
        await Expect(desk.GetByTestId("desk-thread-origin")).ToHaveAttributeAsync("data-reference", "120211");

        // Arrives live, while the conversation is open.
        await channel.EventsAsync(new { id = "o-2", from = "Ubuyer", text = "this scratch", unsupported = new { kind = "photo", summary = "could not be downloaded from the provider (HTTP 500)", failed = true } });
        var second = desk.Locator("[data-testid=desk-message][data-direction=in]").Nth(1);
        var failed = second.GetByTestId("desk-message-download-failed");
        await Expect(failed).ToHaveAttributeAsync("data-kind", "photo");
        await Expect(failed).ToContainTextAsync("download failed");
        await Expect(failed).ToHaveAttributeAsync("title", new System.Text.RegularExpressions.Regex("HTTP 500.*send it again"));
        await Expect(second).ToContainTextAsync("this scratch");
        await Expect(second.GetByTestId("desk-message-unsupported")).ToHaveCountAsync(0);
        Assert.Empty(errors);
    }

    private static async Task WaitForAsync(Func<Task<int>> read, Func<int, bool> done)
    {
        var until = DateTime.UtcNow.AddSeconds(10);
        int value;
        while (!done(value = await read()))
        {
            Assert.True(DateTime.UtcNow < until, $"the picture did not load (width {value})");
            await Task.Delay(100);
        }
    }
}

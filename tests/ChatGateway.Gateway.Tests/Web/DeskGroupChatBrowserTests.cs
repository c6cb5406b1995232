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

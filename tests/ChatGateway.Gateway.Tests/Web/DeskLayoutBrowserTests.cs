using ChatGateway.Gateway.Tests.Chats;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>
/// The desk on a phone (390 x 844) and on a small laptop (1280 x 800), a conversation open: nothing wider than the
/// screen, every control of the top bar (Sign out included) and of the composer on screen and clickable.
/// </summary>
public sealed class DeskLayoutBrowserTests
{
    [Theory]
    [InlineData(390, 844)]
    [InlineData(1280, 800)]
    public async Task Desk_FitsTheScreen_WithEveryControlOnIt(int width, int height)
    {
        await using var channel = await ChatChannel.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new() { BaseURL = channel.Host.BaseAddress.ToString(), ViewportSize = new() { Width = width, Height = height } });
        var desk = await context.NewPageAsync();
        await Browser.SignInOnlineAsync(desk, "bob");

        await channel.EventsAsync(new { id = "p-1", from = "Ubuyer", name = "王小姐 Ms Wang", text = "你好，这件连衣裙有M码吗？Is the dress available in M?" });
        // A phone opens the new conversation itself (the list and the thread take the screen in turn).
        await Expect(desk.GetByTestId("desk-conversation").Or(desk.Locator("[data-testid=desk-message]")).First).ToBeAttachedAsync();
        if (await desk.GetByTestId("desk-conversation").IsVisibleAsync())
        {
            await desk.GetByTestId("desk-conversation").ClickAsync();
        }

        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToHaveCountAsync(1);

        // DESK_SHOTS=/some/folder keeps a picture of each size, for a person to look at.
        if (Environment.GetEnvironmentVariable("DESK_SHOTS") is { Length: > 0 } shots)
        {
            await desk.ScreenshotAsync(new() { Path = Path.Combine(shots, $"desk-{width}x{height}.png") });
        }

        var overflow = await desk.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
        // What sticks out, named for whoever breaks it.
        var outside = await desk.EvaluateAsync<string>("""
            () => [...document.querySelectorAll('body *')].filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > window.innerWidth + 0.5)
              .slice(0, 8).map(e => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className} → ${Math.round(e.getBoundingClientRect().right)}`).join('; ')
            """);
        Assert.True(overflow <= 0, $"the page is {overflow} px wider than the {width} px screen: {outside}");
        foreach (var id in new[] { "desk-logout", "desk-presence", "desk-tab-inbox", "desk-tab-queues", "desk-reply", "desk-send" })
        {
            var box = await desk.GetByTestId(id).BoundingBoxAsync();
            Assert.True(box is not null, $"{id} is not shown");
            Assert.True(box!.X >= 0 && box.X + box.Width <= width && box.Y >= 0 && box.Y + box.Height <= height,
                $"{id} is off the {width}x{height} screen at ({box.X}, {box.Y}, {box.Width} x {box.Height})");
        }

        // Sign out works from there.
        await desk.GetByTestId("desk-logout").ClickAsync();
        await Expect(desk.GetByTestId("desk-login")).ToBeVisibleAsync();
    }
}

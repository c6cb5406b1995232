using Microsoft.Playwright;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>
/// Debian's Chromium driven by Playwright, offline (Playwright cannot download browsers here). Missing
/// Chromium skips browser tests on a developer's machine and fails them in CI.
/// </summary>
public static class Browser
{
    public const string ChromiumPath = "/usr/bin/chromium";

    public static async Task<(IPlaywright Playwright, IBrowser Browser)> LaunchAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException("CI must run the browser tests: install chromium (apt-get install chromium).");
            }

            Assert.Skip("Chromium is not installed here (apt-get install chromium)");
        }

        // A 2-core CI machine runs other test hosts at the same time: allow for it.
        Assertions.SetDefaultExpectTimeout(15_000);
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
        });
        return (playwright, browser);
    }

    /// <summary>Signs the agent in on the desk (demo password) and sets them online; returns once the gateway has them online.</summary>
    public static async Task SignInOnlineAsync(IPage desk, string userName)
    {
        await desk.GotoAsync("/desk/");
        await desk.GetByTestId("desk-username").FillAsync(userName);
        await desk.GetByTestId("desk-password").FillAsync(GatewayHost.DemoPassword);
        await desk.GetByTestId("desk-login").ClickAsync();
        await desk.GetByTestId("desk-presence").SelectOptionAsync("online");
        await Assertions.Expect(desk.GetByTestId("desk-offline-banner")).ToBeHiddenAsync();
    }

    /// <summary>Opens the shop page's chat widget, past the optional pre-chat form.</summary>
    public static async Task OpenChatAsync(IPage shop)
    {
        await shop.GotoAsync("/");
        await shop.GetByTestId("cgw-launcher").ClickAsync();
        var skip = shop.GetByTestId("cgw-prechat-skip");
        if (await skip.IsVisibleAsync())
        {
            await skip.ClickAsync();
        }
    }
}

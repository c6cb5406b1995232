using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Hardening;

/// <summary>The pages under their Content-Security-Policy in a real browser: what belongs to them runs, an injected script does not.</summary>
public sealed class ContentSecurityPolicyBrowserTests
{
    [Fact]
    public async Task ShopPageAndDesk_RunUnderTheirPolicy_AndAnInjectedInlineScriptIsBlocked()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() });
        var violations = new List<string>();

        // The shop page's own inline script (hash-allowed) works: choosing a size and adding to the bag.
        var shop = await context.NewPageAsync();
        shop.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal)) violations.Add("shop: " + m.Text); };
        await shop.GotoAsync("/");
        await shop.Locator(".card").First.Locator(".sizes button").First.ClickAsync();
        await shop.Locator(".card").First.Locator(".add").ClickAsync();
        await Expect(shop.Locator("#cart-count")).ToHaveTextAsync("1");
        // The widget (a script from the gateway) loads and opens.
        await Browser.OpenChatAsync(shop);
        await Expect(shop.GetByTestId("cgw-input")).ToBeVisibleAsync();
        Assert.Empty(violations);

        // A script injected into the page (as an XSS would) is refused by the policy.
        await shop.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1'; document.body.appendChild(s); }");
        Assert.Null(await shop.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        await shop.WaitForTimeoutAsync(200);
        Assert.Contains(violations, v => v.StartsWith("shop: ", StringComparison.Ordinal)); // the browser reported the refusal
        violations.Clear();

        // The desk works under its stricter policy (no inline script at all) and refuses one too.
        var desk = await context.NewPageAsync();
        desk.Console += (_, m) => { if (m.Text.Contains("Content Security Policy", StringComparison.Ordinal)) violations.Add("desk: " + m.Text); };
        await Browser.SignInOnlineAsync(desk, "alice");
        await Expect(desk.GetByTestId("desk-agent-name")).ToHaveTextAsync("Alice");
        Assert.Empty(violations);
        await desk.EvaluateAsync("() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1'; document.body.appendChild(s); }");
        Assert.Null(await desk.EvaluateAsync<int?>("() => window.__pwned ?? null"));
    }
}

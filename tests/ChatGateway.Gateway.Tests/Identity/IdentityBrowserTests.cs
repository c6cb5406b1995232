using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Identity;

/// <summary>The shop page identifying a signed-in customer in the widget, and the desk's contact panel, in a real browser.</summary>
public sealed class IdentityBrowserTests
{
    [Fact]
    public async Task TypedDetailsShowNotVerified_ShopIdentifiedVisitorDoesNot_AndASupervisorMergesAndUndoesInTheDesk()
    {
        await using var host = await GatewayHost.StartAsync(settings: ShopSignature.Settings());
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        desk.Dialog += (_, dialog) => dialog.AcceptAsync();
        await Browser.SignInOnlineAsync(desk, "alice");

        // An anonymous visitor types a name and someone's phone number.
        var anonymous = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        anonymous.PageError += (_, e) => errors.Add("anonymous shop: " + e);
        await anonymous.GotoAsync("/");
        await anonymous.GetByTestId("cgw-launcher").ClickAsync();
        await anonymous.GetByTestId("cgw-name").FillAsync("Mallory");
        await anonymous.GetByTestId("cgw-phone").FillAsync("+86 138 0013 8000");
        await anonymous.GetByTestId("cgw-input").FillAsync("hello from the anonymous visitor");
        await anonymous.GetByTestId("cgw-send").ClickAsync();

        // The agent sees what they typed, marked as not verified.
        await desk.GetByTestId("desk-conversation").Filter(new() { HasText = "Mallory" }).ClickAsync();
        var details = desk.Locator("#details-contact");
        await Expect(details).ToContainTextAsync("+8613800138000");
        await Expect(details.GetByTestId("desk-not-verified")).ToHaveCountAsync(2); // name and phone

        // A signed-in shop customer: the page passes the identity the shop's server signed.
        var identified = await (await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() })).NewPageAsync();
        identified.PageError += (_, e) => errors.Add("identified shop: " + e);
        await identified.GotoAsync("/");
        await identified.WaitForFunctionAsync("() => window.ChatGateway && typeof window.ChatGateway.identify === 'function' && !!window.ChatGateway.identify.instances");
        var identity = JsonSerializer.Serialize(ShopSignature.Identity("shop-user-9", "+8613800138000", "li@example.com", "Li Wei"));
        await identified.EvaluateAsync($"() => window.ChatGateway.identify({identity})");
        await identified.WaitForFunctionAsync("() => (localStorage.getItem('cg.visitor.webchat') || '').startsWith('u.')");
        await identified.GetByTestId("cgw-launcher").ClickAsync();
        await Expect(identified.GetByTestId("cgw-prechat")).ToBeHiddenAsync(); // the shop knows who they are
        await identified.GetByTestId("cgw-input").FillAsync("hello from the signed-in customer");
        await identified.GetByTestId("cgw-send").ClickAsync();

        var liWei = desk.GetByTestId("desk-conversation").Filter(new() { HasText = "Li Wei" });
        await liWei.ClickAsync();
        await Expect(details).ToContainTextAsync("li@example.com");
        await Expect(details.GetByTestId("desk-not-verified")).ToHaveCountAsync(0);

        // The supervisor finds the visitor who typed the same phone and, having checked, merges them in.
        await desk.GetByTestId("desk-merge-search").FillAsync("+8613800138000");
        await desk.GetByTestId("desk-merge-find").ClickAsync();
        await Expect(desk.GetByTestId("desk-merge-result")).ToHaveCountAsync(2);
        await desk.GetByTestId("desk-merge-result").Filter(new() { HasText = "Mallory" }).GetByTestId("desk-merge-into").ClickAsync();
        var incoming = desk.Locator("[data-testid=desk-message][data-direction=in]");
        await Expect(incoming.Filter(new() { HasText = "hello from the anonymous visitor" })).ToHaveCountAsync(1);
        await Expect(incoming.Filter(new() { HasText = "hello from the signed-in customer" })).ToHaveCountAsync(1);

        // A wrong merge is undone: the history is the customer's own again.
        await desk.GetByTestId("desk-merge-undo").ClickAsync();
        await Expect(incoming.Filter(new() { HasText = "hello from the anonymous visitor" })).ToHaveCountAsync(0);
        await Expect(desk.GetByTestId("desk-merge-done")).ToHaveCountAsync(0);

        Assert.Empty(errors);
    }
}

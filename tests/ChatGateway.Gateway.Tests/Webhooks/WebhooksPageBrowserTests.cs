using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Webhooks;

/// <summary>
/// The webhooks page in a real browser: a supervisor follows the desk's link, is refused an ftp:// address with the
/// server's reason (nothing added), adds the CRM's endpoint, copies the secret shown once, and the test ping the page
/// sends verifies with it at the receiver; an agent has no link and is turned away from the page.
/// </summary>
public sealed class WebhooksPageBrowserTests
{
    [Fact]
    public async Task Supervisor_AddsAnEndpoint_AndItsTestPingVerifiesWithTheSecretShown_AnAgentIsTurnedAway()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Webhooks:PollInterval"] = "00:00:00.050" });
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "alice");
        await desk.GetByTestId("desk-webhooks-link").ClickAsync();
        await Expect(desk).ToHaveURLAsync(new System.Text.RegularExpressions.Regex("/desk/webhooks\\.html$"));

        await desk.GetByTestId("webhooks-add").ClickAsync();
        await desk.GetByTestId("webhooks-url").FillAsync("ftp://crm.example.com/hooks");
        await desk.GetByTestId("webhooks-save").ClickAsync();
        await Expect(desk.GetByTestId("webhooks-error")).ToBeVisibleAsync();
        await Expect(desk.GetByTestId("webhooks-row")).ToHaveCountAsync(0);

        await desk.GetByTestId("webhooks-url").FillAsync(receiver.Url.ToString());
        await desk.GetByTestId("webhooks-description").FillAsync("CRM");
        await desk.GetByTestId("webhooks-save").ClickAsync();
        var secret = (await desk.GetByTestId("webhooks-secret").Locator("code").TextContentAsync())!.Trim();
        Assert.StartsWith("whsec_", secret);
        await Expect(desk.GetByTestId("webhooks-row")).ToHaveCountAsync(1);
        await Expect(desk.GetByTestId("webhooks-row")).ToContainTextAsync(receiver.Url.Host);

        receiver.Secrets = [secret];
        await desk.GetByTestId("webhooks-test").ClickAsync();
        var ping = (await receiver.WaitForAsync(r => r.Any(x => x.Type == "webhook.test"))).Single(x => x.Type == "webhook.test");
        Assert.True(ping.Verified, "the ping did not verify with the secret the page showed");
        Assert.Empty(errors);

        var agentPage = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await Browser.SignInOnlineAsync(agentPage, "bob");
        await Expect(agentPage.GetByTestId("desk-webhooks-link")).ToBeHiddenAsync();
        await agentPage.GotoAsync("/desk/webhooks.html");
        await Expect(agentPage.GetByTestId("webhooks-denied")).ToBeVisibleAsync();
        await Expect(agentPage.GetByTestId("webhooks-add")).ToBeHiddenAsync();
    }
}

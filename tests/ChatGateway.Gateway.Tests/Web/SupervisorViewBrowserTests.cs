using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>The desk's Queues view in a real browser: the supervisor's alerts, an agent's own queues.</summary>
public sealed class SupervisorViewBrowserTests
{
    [Fact]
    public async Task Supervisor_SeesACustomerStuckWaitingWhileAnAgentCouldTakeThem_AsAnAlertOnTop()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await GatewayHost.StartAsync(clock: clock, settings: new Dictionary<string, string?>
        {
            ["Routing:WaitingAlertAfter"] = "00:05:00",
            ["Routing:NoAnswerTimeout"] = "00:00:00",
        });
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var carol = await host.SignInAsync("carol");
        var stuck = await WaitingAlertTests.StuckInLogisticsAsync(host, carol);
        clock.Advance(TimeSpan.FromMinutes(6));

        var page = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await Browser.SignInOnlineAsync(page, "alice"); // serves pre-sale and vip: she does not take it
        await Expect(page.GetByTestId("desk-tab-queues-count")).ToHaveAttributeAsync("data-alert", "true");
        await page.GetByTestId("desk-tab-queues").ClickAsync();

        await Expect(page.GetByTestId("desk-alerts")).ToBeVisibleAsync();
        var alert = page.GetByTestId("desk-alert");
        await Expect(alert).ToHaveCountAsync(1);
        await Expect(alert).ToHaveAttributeAsync("data-conversation-id", stuck.ToString());
        await Expect(alert).ToContainTextAsync("logistics");
        await Expect(page.GetByTestId("desk-alert-wait")).ToHaveTextAsync("6m 00s");
        await Expect(page.GetByTestId("desk-alerts-count")).ToHaveTextAsync("1");
        await Expect(page.GetByTestId("desk-agent-row")).ToHaveCountAsync(3);
    }

    [Fact]
    public async Task Agent_SeesTheQueuesTheyServe_WithoutOtherAgentsDetails_AndCanStillTransfer()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        using var http = host.CreateClient();
        await RoutingTests.Inbound(http, "v1", "+10000000501", "I want to file a complaint"); // nobody online: waits

        var page = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await Browser.SignInOnlineAsync(page, "carol"); // logistics, after-sale: not complaints
        await page.GetByTestId("desk-tab-queues").ClickAsync();

        await Expect(page.GetByTestId("desk-queue-row")).ToHaveCountAsync(2);
        await Expect(page.Locator("[data-testid=desk-queue-row][data-skill=logistics]")).ToBeVisibleAsync();
        await Expect(page.Locator("[data-testid=desk-queue-row][data-skill=complaints]")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("desk-agent-row")).ToHaveCountAsync(0);
        await Expect(page.GetByTestId("desk-queues-error")).ToBeHiddenAsync();

        // Her transfer dialog still offers every queue and the other agents by name.
        await RoutingTests.Inbound(http, "v2", "+10000000502", "where is my parcel?");
        await page.GetByTestId("desk-tab-inbox").ClickAsync();
        var conversation = page.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);
        await conversation.ClickAsync();
        await page.GetByTestId("desk-transfer").ClickAsync();
        var target = page.GetByTestId("desk-transfer-target");
        await Expect(target.Locator("option[value='agent:bob']")).ToHaveCountAsync(1);
        await Expect(target.Locator("option[value='skill:complaints']")).ToHaveCountAsync(1);
    }
}

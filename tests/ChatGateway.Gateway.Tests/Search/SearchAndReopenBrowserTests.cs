using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Search;

/// <summary>
/// In chromium: an agent finds a closed conversation by a word the customer wrote and by the customer's phone, opens it
/// read-only, reopens it, and has it in their inbox, where the customer's next message appears. Then a waiting customer
/// is taken from the Queues view.
/// </summary>
public sealed class SearchAndReopenBrowserTests
{
    [Fact]
    public async Task Agent_FindsAClosedConversation_ReopensIt_TheCustomersNextMessageArrives_AndTakesAWaitingCustomer()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var context = await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 800 } });
        var desk = await context.NewPageAsync();
        await Browser.SignInOnlineAsync(desk, "bob");

        // A customer asks, bob closes the conversation in the desk.
        var id = await SearchApiTests.ArriveAsync(http, "b1", "+8613912345678", "请问这款保温杯有蓝色的吗？", name: "李女士");
        var row = desk.Locator($"[data-testid=desk-conversation][data-conversation-id='{id}']");
        await Expect(row).ToBeVisibleAsync();
        await row.ClickAsync();
        await desk.GetByTestId("desk-close").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);

        // Found by a word of the message: the result shows the words around it and that it is closed.
        await desk.GetByTestId("desk-search").FillAsync("保温杯");
        var hit = desk.Locator($"[data-testid=desk-search-conversation][data-conversation-id='{id}']");
        await Expect(hit).ToBeVisibleAsync();
        await Expect(hit).ToHaveAttributeAsync("data-status", "closed");
        await Expect(hit.GetByTestId("desk-search-snippet")).ToContainTextAsync("保温杯有蓝色");

        // Found by the phone without its country code; Enter searches at once.
        await desk.GetByTestId("desk-search").FillAsync("13912345678");
        await desk.GetByTestId("desk-search").PressAsync("Enter");
        await Expect(desk.GetByTestId("desk-search-contact")).ToHaveCountAsync(1);
        await Expect(desk.GetByTestId("desk-search-contact")).ToContainTextAsync("李女士");

        // Opened: read-only, with Reopen.
        await desk.GetByTestId("desk-search-contact").ClickAsync();
        await Expect(desk.GetByTestId("desk-thread")).ToHaveAttributeAsync("data-conversation-id", id.ToString());
        await Expect(desk.GetByTestId("desk-closed-note")).ToBeVisibleAsync();
        await Expect(desk.GetByTestId("desk-reply")).ToBeDisabledAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToContainTextAsync("保温杯");

        // Reopened: in bob's inbox, open for replies, and the customer's next message lands there.
        await desk.GetByTestId("desk-reopen").ClickAsync();
        await Expect(row).ToBeVisibleAsync();
        await Expect(desk.GetByTestId("desk-reopen")).ToBeHiddenAsync();
        await Expect(desk.GetByTestId("desk-reply")).ToBeEnabledAsync();
        await Expect(desk.GetByTestId("desk-thread")).ToHaveAttributeAsync("data-status", "assigned");
        Assert.Equal(id, await SearchApiTests.ArriveAsync(http, "b2", "+8613912345678", "还有一个问题：能开发票吗？"));
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]").Last).ToContainTextAsync("能开发票吗");

        // The Closed view lists what bob closes, and Reopen works from there too.
        await desk.GetByTestId("desk-close").ClickAsync();
        await Expect(row).ToHaveCountAsync(0);
        await desk.GetByTestId("desk-list-closed").ClickAsync();
        var closedRow = desk.Locator($"[data-testid=desk-closed-conversation][data-conversation-id='{id}']");
        await Expect(closedRow).ToBeVisibleAsync();
        await desk.Locator("li", new() { Has = closedRow }).GetByTestId("desk-closed-reopen").ClickAsync();
        await Expect(row).ToBeVisibleAsync();

        // A pre-sale customer waits while bob is away; bob takes them from the Queues view.
        await desk.GetByTestId("desk-presence").SelectOptionAsync("away");
        var waiting = await SearchApiTests.ArriveAsync(http, "b3", "+8613700000001", "在吗？想问一下价格");
        await desk.GetByTestId("desk-tab-queues").ClickAsync();
        var take = desk.Locator($"[data-testid=desk-waiting-row][data-conversation-id='{waiting}']").GetByTestId("desk-take");
        await take.ClickAsync();
        await Expect(desk.GetByTestId("desk-thread")).ToHaveAttributeAsync("data-conversation-id", waiting.ToString());
        await Expect(desk.Locator($"[data-testid=desk-conversation][data-conversation-id='{waiting}']")).ToBeVisibleAsync();
    }
}

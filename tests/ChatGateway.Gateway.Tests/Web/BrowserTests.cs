using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>The demo shop page and the agent desk in a real browser, as a customer and an agent use them.</summary>
public sealed class BrowserTests
{
    [Fact]
    public async Task ShopVisitorAndAgent_ChatLive_AndTheHistorySurvivesAReload()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();

        // The agent signs in on the desk and goes online.
        var agentContext = await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() });
        var desk = await agentContext.NewPageAsync();
        desk.PageError += (_, e) => errors.Add("desk: " + e);
        await Browser.SignInOnlineAsync(desk, "alice");
        await Expect(desk.GetByTestId("desk-agent-name")).ToHaveTextAsync("Alice");
        await Expect(desk.GetByTestId("desk-presence")).ToHaveValueAsync("online");

        // A customer opens the shop, opens the chat and asks about a size.
        var customerContext = await browser.NewContextAsync(new() { BaseURL = host.BaseAddress.ToString() });
        var shop = await customerContext.NewPageAsync();
        shop.PageError += (_, e) => errors.Add("shop: " + e);
        await Browser.OpenChatAsync(shop);

        await shop.GetByTestId("cgw-input").FillAsync("这件衣服有M码吗?");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=in]")).ToContainTextAsync("这件衣服有M码吗?");

        // It reaches the agent live, with the history; the agent answers.
        var conversation = desk.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);
        await conversation.ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]")).ToContainTextAsync("这件衣服有M码吗?");
        await desk.GetByTestId("desk-reply").FillAsync("有的, M码有货 <b>not bold</b>");
        await desk.GetByTestId("desk-send").ClickAsync();

        // The customer sees the answer live, as text (never as HTML), and that Alice is there.
        var answer = shop.Locator("[data-testid=cgw-message][data-direction=out]");
        await Expect(answer).ToContainTextAsync("有的, M码有货 <b>not bold</b>");
        Assert.Equal(0, await answer.Locator("b").CountAsync());
        await Expect(shop.GetByTestId("cgw-status")).ToContainTextAsync("Alice");
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=out]")).ToHaveAttributeAsync("data-status", "delivered");

        // Markup sent by a customer stays text on the desk too.
        await shop.GetByTestId("cgw-input").FillAsync("<img src=x onerror=\"window.__pwned=1\"><script>window.__pwned=1</script>");
        await shop.GetByTestId("cgw-send").ClickAsync();
        await Expect(desk.Locator("[data-testid=desk-message][data-direction=in]").Last).ToContainTextAsync("<script>window.__pwned=1</script>");
        Assert.Equal(0, await desk.GetByTestId("desk-messages").Locator("img").CountAsync());
        Assert.True(await desk.EvaluateAsync<bool>("() => window.__pwned === undefined"));
        Assert.True(await shop.EvaluateAsync<bool>("() => window.__pwned === undefined"));

        // After a reload the conversation and its history are still there.
        await shop.ReloadAsync();
        if (!await shop.GetByTestId("cgw-input").IsVisibleAsync())
        {
            await shop.GetByTestId("cgw-launcher").ClickAsync();
        }

        await Expect(shop.GetByTestId("cgw-message")).ToHaveCountAsync(3);
        await Expect(shop.Locator("[data-testid=cgw-message][data-direction=out]")).ToContainTextAsync("有的, M码有货");

        // The agent closes the conversation; it leaves the desk and the customer is told.
        await desk.GetByTestId("desk-close").ClickAsync();
        await Expect(desk.GetByTestId("desk-conversation")).ToHaveCountAsync(0);
        await Expect(shop.GetByTestId("cgw-status")).ToHaveAttributeAsync("data-status", "closed");
        await Expect(shop.GetByTestId("cgw-status")).ToContainTextAsync("chat has ended");

        Assert.Empty(errors);
    }

    [Fact]
    public async Task Desk_WrongPassword_ShowsTheReason()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var page = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });

        await page.GotoAsync("/desk/");
        await page.GetByTestId("desk-username").FillAsync("alice");
        await page.GetByTestId("desk-password").FillAsync("not the password");
        await page.GetByTestId("desk-login").ClickAsync();

        await Expect(page.GetByTestId("desk-login-error")).ToContainTextAsync("wrong user name or password");
        await Expect(page.GetByTestId("desk-agent-name")).Not.ToBeVisibleAsync();
    }

    [Fact]
    public async Task Widget_MessageOverTheLimit_ShowsTheReasonAndKeepsTheText()
    {
        await using var host = await GatewayHost.StartAsync(); // MaxMessageLength 500
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var shop = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await Browser.OpenChatAsync(shop);

        var tooLong = new string('x', 501);
        await shop.GetByTestId("cgw-input").FillAsync(tooLong);
        await shop.GetByTestId("cgw-send").ClickAsync(new() { Force = true });
        await shop.GetByTestId("cgw-input").PressAsync("Enter");

        await Expect(shop.GetByTestId("cgw-error").First).ToContainTextAsync("500");
        Assert.Equal(0, await shop.Locator("[data-testid=cgw-message][data-direction=in]").CountAsync());
        await using var db = host.CreateDbContext();
        Assert.Equal(0, db.Messages.Count());
    }

    [Fact]
    public async Task Agent_TransfersAConversationWithANote_AndTheSupervisorViewShowsQueuesAndAgents()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        await using var bob = await host.SignInAsync("bob");
        await bob.SetPresenceAsync("busy"); // takes transfers, not new customers
        using var http = host.CreateClient();

        var page = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await Browser.SignInOnlineAsync(page, "alice");

        await ChatGateway.Gateway.Tests.Routing.RoutingTests.Inbound(http, "b1", "+10000000041", "hello, which size for a gift?");
        var conversation = page.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);
        await conversation.ClickAsync();

        // Transfer to bob with a note; the conversation leaves alice's desk and bob gets it with the note.
        await page.GetByTestId("desk-transfer").ClickAsync();
        await Expect(page.GetByTestId("desk-transfer-dialog")).ToBeVisibleAsync();
        await page.GetByTestId("desk-transfer-target").SelectOptionAsync("agent:bob");
        await page.GetByTestId("desk-transfer-note").FillAsync("gift order, customer is in a hurry");
        await page.GetByTestId("desk-transfer-confirm").ClickAsync();
        await Expect(page.GetByTestId("desk-conversation")).ToHaveCountAsync(0);
        var received = await bob.NextAssignedAsync();
        Assert.Equal("Alice transferred this conversation to Bob: gift order, customer is in a hurry", received.Messages![^1].Text);
        Assert.Equal("note", received.Messages![^1].Direction);

        // The supervisor view shows the queues and the agents, live.
        await page.GetByTestId("desk-tab-queues").ClickAsync();
        await Expect(page.Locator("[data-testid=desk-queue-row][data-skill=pre-sale]")).ToBeVisibleAsync();
        await Expect(page.GetByTestId("desk-agent-row")).ToHaveCountAsync(3);
        await Expect(page.GetByTestId("desk-agent-row").Filter(new() { HasText = "Bob" })).ToContainTextAsync("busy", new() { IgnoreCase = true });
    }

    [Fact]
    public async Task Desk_ListReadAnsweredBeforeAnAssignment_DoesNotTakeAwayTheConversationTheAssignmentBrought()
    {
        await using var host = await GatewayHost.StartAsync();
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        using var http = host.CreateClient();
        var page = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await Browser.SignInOnlineAsync(page, "alice");
        await Expect(page.GetByTestId("desk-connection")).ToHaveAttributeAsync("data-state", "live");

        // The desk reloads: its list reads are answered (no conversation yet), and the answers are held
        // on their way, as on a slow network, while a customer's message is assigned and pushed.
        var release = new TaskCompletionSource();
        var held = 0;
        await page.RouteAsync("**/api/conversations", async route =>
        {
            var answer = await route.FetchAsync();
            Interlocked.Increment(ref held);
            await release.Task;
            await route.FulfillAsync(new() { Response = answer });
        });
        await page.ReloadAsync();
        await Expect(page.GetByTestId("desk-connection")).ToHaveAttributeAsync("data-state", "live");
        for (var wait = 0; Volatile.Read(ref held) < 2; wait++) // the desk's reads at start and once live
        {
            Assert.True(wait < 150, $"the desk made {held} list reads, not 2");
            await Task.Delay(100);
        }

        await ChatGateway.Gateway.Tests.Routing.RoutingTests.Inbound(http, "s1", "+10000000071", "hello, is the red one in stock?");
        var conversation = page.GetByTestId("desk-conversation");
        await Expect(conversation).ToHaveCountAsync(1);

        // The stale answers arrive: the conversation stays, and a later read agrees.
        var answered = page.WaitForResponseAsync(r => r.Url.EndsWith("/api/conversations", StringComparison.Ordinal));
        release.SetResult();
        await answered;
        await page.EvaluateAsync("() => new Promise((r) => setTimeout(r, 200))");
        await Expect(conversation).ToHaveCountAsync(1);
        await Expect(conversation).ToContainTextAsync("red one in stock");
    }

    [Fact]
    public async Task Visitor_WaitingBehindOthers_SeesTheirPlaceInLineAndTheWait_ThenTheAgent()
    {
        // Alice serves one conversation at a time; the demo shop's visitor is third in line.
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Agents:Seed:0:MaxConcurrent"] = "1", ["Routing:AverageHandleTime"] = "00:04:00",
        });
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var first = (await Routing.RoutingTests.Inbound(http, "q1", "+10000000061", "hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await Routing.RoutingTests.Inbound(http, "q2", "+10000000062", "hello too");

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var shop = await browser.NewPageAsync(new() { BaseURL = host.BaseAddress.ToString() });
        await Browser.OpenChatAsync(shop);

        await shop.GetByTestId("cgw-input").FillAsync("do you ship to Shanghai?");
        await shop.GetByTestId("cgw-send").ClickAsync();
        var status = shop.GetByTestId("cgw-status");
        await Expect(status).ToHaveAttributeAsync("data-queue-position", "2");
        await Expect(status).ToContainTextAsync("number 2 in line");
        await Expect(status).ToContainTextAsync("min");

        // The one ahead is served: the visitor moves up; then Alice takes them.
        await alice.CloseAsync(first);
        var second = await alice.NextAssignedAsync();
        await Expect(status).ToContainTextAsync("next");
        await Expect(status).ToHaveAttributeAsync("data-queue-position", "1");
        await alice.CloseAsync(second.Id);
        await Expect(status).ToContainTextAsync("Alice");
        Assert.False(await status.GetAttributeAsync("data-queue-position") is not null);
    }
}

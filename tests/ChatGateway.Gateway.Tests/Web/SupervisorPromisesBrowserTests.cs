using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>
/// The supervisor's Queues view in a real browser: the agents' promised callbacks, one turning "not kept" live when its
/// time passes unanswered, and the customers' ratings per agent (GET /api/supervisor/satisfaction). An agent sees neither.
/// </summary>
public sealed class SupervisorPromisesBrowserTests
{
    [Fact]
    public async Task Supervisor_SeesOpenPromises_AnUnkeptOneLive_AndTheRatingsPerAgent()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        // The order confirmation goes out first (it starts the buyer's conversation), so the survey below reopens the one rated.
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await using var bob = await shop.Host.SignInAsync("bob");

        // A conversation bob answers and closes; the customer rates it 5.
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-sat-1", "你好"))).StatusCode);
        var first = (await bob.NextAssignedAsync()).Id;
        await bob.ReplyAsync(first, "您好，已经发货了");
        await bob.CloseAsync(first);
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 3));
        await using (var db = shop.Host.CreateDbContext())
        {
            Assert.Equal(FollowUpStatus.Sent, (await db.FollowUps.AsNoTracking().SingleAsync(f => f.Kind == FollowUpKinds.Survey)).Status);
        }

        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-sat-2", "5"))).StatusCode);
        // Recorded by the routing worker after the webhook's answer.
        for (var waited = 0; await RatingAsync(shop, first) is null && waited < 100; waited++)
        {
            await Task.Delay(100);
        }

        Assert.Equal(5, await RatingAsync(shop, first));

        // A new question; bob promises an answer by 11:00.
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-sat-3", "还有一个问题"))).StatusCode);
        var second = (await bob.NextAssignedAsync()).Id;
        Assert.Equal(HttpStatusCode.Created, (await bob.Http.PostAsJsonAsync($"/api/conversations/{second}/promises", new { dueAt = "2026-12-07T11:00:00+08:00", note = "查仓库库存" })).StatusCode);

        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await browser.NewPageAsync(new() { BaseURL = shop.Host.BaseAddress.ToString() });
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "alice");
        await desk.GetByTestId("desk-tab-queues").ClickAsync();

        var row = desk.GetByTestId("desk-promise-row");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToHaveAttributeAsync("data-state", "planned");
        await Expect(row).ToHaveAttributeAsync("data-conversation-id", second.ToString());
        await Expect(row).ToContainTextAsync("Bob");
        await Expect(row).ToContainTextAsync("Dec 7, 2026, 11:00"); // the shop's clock, in the reader's (en) way
        await Expect(row).ToContainTextAsync("查仓库库存");
        await Expect(desk.GetByTestId("desk-promises-count")).ToHaveTextAsync("1");

        var rating = desk.Locator("[data-testid=desk-satisfaction-row][data-agent=bob]");
        await Expect(rating.GetByTestId("desk-satisfaction-ratings")).ToHaveTextAsync("1");
        await Expect(rating.GetByTestId("desk-satisfaction-average")).ToHaveTextAsync("5.00");
        await Expect(rating.GetByTestId("desk-satisfaction-distribution")).ToHaveTextAsync("1 / 0 / 0 / 0 / 0");

        // 11:00 passes without an answer: the row turns "not kept" while she looks, with the alert.
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        await Expect(row).ToHaveAttributeAsync("data-state", "unkept");
        await Expect(row.GetByTestId("desk-promise-state")).ToHaveTextAsync("Not kept");
        await Expect(desk.GetByTestId("desk-promises-count")).ToHaveTextAsync("0");
        await Expect(desk.GetByTestId("desk-toast")).ToContainTextAsync("Promise not kept");

        // An agent's Queues view has neither card.
        var agentDesk = await browser.NewPageAsync(new() { BaseURL = shop.Host.BaseAddress.ToString() });
        await Browser.SignInOnlineAsync(agentDesk, "carol");
        await agentDesk.GetByTestId("desk-tab-queues").ClickAsync();
        await Expect(agentDesk.GetByTestId("desk-queue-row").First).ToBeVisibleAsync();
        await Expect(agentDesk.GetByTestId("desk-promises")).ToBeHiddenAsync();
        await Expect(agentDesk.GetByTestId("desk-satisfaction")).ToBeHiddenAsync();
        Assert.Empty(errors);
    }

    private static async Task<int?> RatingAsync(ShopOrders shop, Guid conversation)
    {
        await using var db = shop.Host.CreateDbContext();
        return (await db.Conversations.AsNoTracking().SingleAsync(c => c.Id == conversation)).SurveyRating;
    }
}

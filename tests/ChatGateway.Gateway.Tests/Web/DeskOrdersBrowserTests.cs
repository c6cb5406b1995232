using System.Net;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Orders;
using Microsoft.EntityFrameworkCore;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>The desk beside an open conversation, in a real browser: the buyer's orders, follow-ups and the agent's promise.</summary>
public sealed class DeskOrdersBrowserTests
{
    [Fact]
    public async Task AnAgent_SeesTheBuyersShippedOrderAndItsFollowUps_CancelsOne_AndPromisesACallback_AndIsRemindedOfIt()
    {
        // The clock jumps 80 minutes below: the desk's one toast is to show the promise's reminder, not the "waiting for an
        // answer" alert the same jump raises (which of the two came last was chance).
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0), new Dictionary<string, string?> { ["Routing:ResponseTarget"] = "1.00:00:00" });
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await shop.PostAsync("order.shipped", new { orderId = "1001", carrier = "顺丰速运", trackingNumber = "SF1234567890" });
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await browser.NewPageAsync(new() { BaseURL = shop.Host.BaseAddress.ToString() });
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-desk-1", "你好"))).StatusCode);
        await desk.GetByTestId("desk-conversation").ClickAsync();

        // Beside the channel and skill: where the buyer stands with their orders.
        await Expect(desk.GetByTestId("desk-order-stage")).ToHaveAttributeAsync("data-state", "bought");
        await Expect(desk.GetByTestId("desk-order-stage")).ToHaveTextAsync("Bought");
        var order = desk.GetByTestId("desk-order");
        await Expect(order).ToHaveCountAsync(1);
        await Expect(order).ToContainTextAsync("#1001");
        await Expect(desk.GetByTestId("desk-order-state")).ToHaveAttributeAsync("data-state", "shipped");
        await Expect(desk.GetByTestId("desk-order-items")).ToHaveTextAsync("羊毛围巾 ×1");
        await Expect(desk.GetByTestId("desk-order-amount")).ToHaveTextAsync("199.00 CNY");
        await Expect(desk.GetByTestId("desk-order-tracking")).ToHaveTextAsync("顺丰速运 · SF1234567890");

        await using var db = shop.Host.CreateDbContext();
        var planned = await db.FollowUps.AsNoTracking().Where(f => f.Status == FollowUpStatus.Planned).ToListAsync();
        Assert.NotEmpty(planned);
        var upcoming = desk.GetByTestId("desk-followup");
        await Expect(upcoming).ToHaveCountAsync(planned.Count);
        var first = planned.OrderBy(f => f.DueAt).First();
        var row = desk.Locator($"[data-testid=desk-followup][data-id='{first.Id}']");
        await Expect(row).ToContainTextAsync(first.DueAt.ToOffset(TimeSpan.FromHours(8)).ToString("MMM d, yyyy, HH:mm", System.Globalization.CultureInfo.InvariantCulture)); // the shop's clock, in the reader's (en) way

        await row.GetByTestId("desk-followup-cancel").ClickAsync();
        await Expect(upcoming).ToHaveCountAsync(planned.Count - 1);
        // The payment reminders were cancelled by the payment already; this one joins them in the past, cancelled by bob.
        var cancelled = desk.Locator($"[data-testid=desk-followup-past][data-id='{first.Id}']");
        await Expect(cancelled).ToHaveAttributeAsync("data-status", "cancelled");
        await Expect(cancelled.GetByTestId("desk-followup-reason")).ToHaveTextAsync("cancelled by an agent");
        await using (var check = shop.Host.CreateDbContext())
        {
            Assert.Equal(FollowUpStatus.Cancelled, (await check.FollowUps.AsNoTracking().SingleAsync(f => f.Id == first.Id)).Status);
        }

        // The time picked is the shop's (Asia/Shanghai), whatever the browser's zone: sent with +08:00.
        await desk.GetByTestId("desk-promise-open").ClickAsync();
        await desk.GetByTestId("desk-promise-due").FillAsync("2026-12-07T11:30");
        await desk.GetByTestId("desk-promise-note").FillAsync("查一下<b>仓库</b>");
        await desk.GetByTestId("desk-promise-save").ClickAsync();
        await Expect(desk.GetByTestId("desk-promise-shown")).ToHaveTextAsync("Promised by Dec 7, 2026, 11:30: 查一下<b>仓库</b>");
        await Expect(desk.Locator("[data-testid=desk-followup][data-kind=callback]")).ToHaveCountAsync(1);
        await using (var check = shop.Host.CreateDbContext())
        {
            var promised = await check.FollowUps.AsNoTracking().SingleAsync(f => f.Kind == FollowUpKinds.Callback && f.Step == 2);
            Assert.Equal(ShopOrders.ShopTime(2026, 12, 7, 11, 30), promised.DueAt);
        }

        // Ten minutes before, the desk shows the reminder with the note (as text).
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 20));
        await Expect(desk.GetByTestId("desk-toast")).ToContainTextAsync("Promise due Dec 7, 2026, 11:30");
        await Expect(desk.GetByTestId("desk-toast")).ToContainTextAsync("查一下<b>仓库</b>");

        Assert.Empty(errors);
    }

    [Fact]
    public async Task AnAgent_SeesWhatAPartialRefundReturned_BesideTheOrderItsStateUnchanged()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await shop.PostAsync("order.delivered", new { orderId = "1001" });
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.refunded", new { orderId = "1001", amount = "50.00" })).StatusCode);
        var (playwright, browser) = await Browser.LaunchAsync();
        using var _ = playwright;
        await using var __ = browser;
        var errors = new List<string>();
        var desk = await browser.NewPageAsync(new() { BaseURL = shop.Host.BaseAddress.ToString() });
        desk.PageError += (_, e) => errors.Add(e);
        await Browser.SignInOnlineAsync(desk, "bob");

        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-desk-refund", "你好"))).StatusCode);
        await desk.GetByTestId("desk-conversation").ClickAsync();

        await Expect(desk.GetByTestId("desk-order-stage")).ToHaveAttributeAsync("data-state", "bought");
        await Expect(desk.GetByTestId("desk-order-state")).ToHaveAttributeAsync("data-state", "delivered");
        await Expect(desk.GetByTestId("desk-order-amount")).ToHaveTextAsync("199.00 CNY");
        await Expect(desk.GetByTestId("desk-order-refunded")).ToHaveTextAsync("Refunded 50.00 CNY");
        Assert.Empty(errors);
    }
}

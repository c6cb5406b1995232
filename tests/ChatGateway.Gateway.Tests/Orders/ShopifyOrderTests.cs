using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>
/// Shopify's order webhooks: the order is shown by Shopify's name (#1001), as the shop and the buyer know it, on the desk
/// and in the follow-ups' texts; it is found again by Shopify's numeric id, which a fulfillment or refund carries alone.
/// </summary>
public sealed class ShopifyOrderTests
{
    private static readonly DateTimeOffset Opening = ShopOrders.ShopTime(2026, 12, 7, 10, 0);

    [Fact]
    public async Task AShopifyOrder_IsShownByItsName_InTheApiAndTheShippingNotice_AndLaterTopicsFindItByItsId()
    {
        await using var shop = await ShopOrders.StartAsync(Opening, shopify: true);
        var order = new
        {
            id = 450789469L,
            name = "#1001",
            order_number = 1001,
            created_at = "2026-12-07T10:00:00+08:00",
            processed_at = "2026-12-07T10:05:00+08:00",
            phone = "+8613800138000",
            customer = new { first_name = "雷", last_name = "李" },
            line_items = new[] { new { title = "羊毛围巾", quantity = 1, price = "199.00" } },
            total_price = "199.00",
            currency = "CNY",
        };

        Assert.Equal(HttpStatusCode.OK, (await shop.PostShopifyAsync("orders/create", order)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.PostShopifyAsync("orders/paid", order)).StatusCode);
        // A fulfillment names the order only by order_id; its own name (#1001.1) is not the order's.
        var shipped = await shop.PostShopifyAsync("fulfillments/create", new
        {
            id = 255858046L, order_id = 450789469L, name = "#1001.1", created_at = "2026-12-07T11:00:00+08:00",
            tracking_company = "顺丰速运", tracking_number = "SF1234567890",
        });
        Assert.Equal(HttpStatusCode.OK, shipped.StatusCode);

        await using (var db = shop.Host.CreateDbContext())
        {
            var stored = Assert.Single(await db.Orders.AsNoTracking().ToListAsync());
            Assert.Equal(("#1001", "450789469", OrderState.Shipped), (stored.ExternalOrderId, stored.SourceOrderId, stored.State));
        }

        await using var alice = await shop.Host.SignInAsync("alice", online: false);
        foreach (var asked in new[] { "%231001", "450789469" })
        {
            var shown = await alice.Http.GetFromJsonAsync<JsonElement>($"/api/orders/{asked}");
            Assert.Equal(("#1001", "shipped"), (shown.GetProperty("orderId").GetString(), shown.GetProperty("state").GetString()));
        }

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 1));
        var notice = await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("SF1234567890", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        Assert.Contains("订单#1001已发货", notice.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("450789469", notice.Body, StringComparison.Ordinal);
    }
}

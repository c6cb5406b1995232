using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>
/// Refunds of part of an order (one item of three): recorded on the order, which keeps its state and its follow-ups; the
/// order is refunded once its refunds add up to its total, or when the shop says all of it went back. Shopify's refunds are
/// replayed as Shopify sends them (Payloads/Shopify), signed with the app's secret.
/// </summary>
public sealed class PartialRefundTests
{
    private const string ShopifyBuyer = "+8613800138000";
    private const string StandardBuyer = "+8613800138001";
    private static readonly DateTimeOffset Ten = ShopOrders.ShopTime(2026, 12, 7, 10, 0);

    [Fact]
    public async Task AShopifyRefundOfOneItem_IsRecorded_TheOrderStaysShippedWithItsNotice_AndTheRestRefundsIt()
    {
        await using var shop = await ShopifyOrderShippedAsync();

        var partial = await shop.PostShopifyAsync("refunds/create", ShopOrders.ShopifyPayload("refunds-create-one-item"), "refund-929361462");
        Assert.Equal(HttpStatusCode.OK, partial.StatusCode);
        Assert.Equal("shipped", (await partial.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        // Shopify delivers again: counted once.
        var again = await shop.PostShopifyAsync("refunds/create", ShopOrders.ShopifyPayload("refunds-create-one-item"), "refund-929361462");
        Assert.True((await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("duplicate").GetBoolean());

        await using var alice = await shop.Host.SignInAsync("alice", online: false);
        var order = await shop.GetOrderAsync(alice, "450789469");
        // The failed refund transaction returned nothing; the one that succeeded returned the scarf's 99.00.
        Assert.Equal(("shipped", 299.00m, 99.00m), (order.GetProperty("state").GetString(), order.GetProperty("amount").GetDecimal(), order.GetProperty("refundedAmount").GetDecimal()));
        Assert.Equal("planned", FollowUp(order, "shipped").GetProperty("status").GetString());
        Assert.Equal(OrderStage.Bought, await StageAsync(shop));

        var rest = await shop.PostShopifyAsync("refunds/create", ShopOrders.ShopifyPayload("refunds-create-rest"));
        Assert.Equal("refunded", (await rest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        order = await shop.GetOrderAsync(alice, "%231001");
        Assert.Equal(("refunded", 299.00m), (order.GetProperty("state").GetString(), order.GetProperty("refundedAmount").GetDecimal()));
        var notice = FollowUp(order, "shipped");
        Assert.Equal(("cancelled", "refunded"), (notice.GetProperty("status").GetString(), notice.GetProperty("reason").GetString()));
        Assert.Equal(OrderStage.None, await StageAsync(shop));
    }

    [Fact]
    public async Task ShopifySayingTheOrderIsRefunded_RefundsIt_AndTheLastRefundArrivingAfterIsStillAccepted()
    {
        await using var shop = await ShopifyOrderShippedAsync();
        // An update of a paid order is not an order event: acknowledged so Shopify keeps the subscription, nothing changes.
        var update = await shop.PostShopifyAsync("orders/updated", ShopOrders.ShopifyPayload("orders-paid-three-items"));
        Assert.True((await update.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("ignored").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, (await shop.PostShopifyAsync("refunds/create", ShopOrders.ShopifyPayload("refunds-create-one-item"))).StatusCode);

        var refunded = await shop.PostShopifyAsync("orders/updated", ShopOrders.ShopifyPayload("orders-updated-refunded"));
        Assert.Equal("refunded", (await refunded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        // Shopify does not promise the order of its webhooks: the refund that emptied the order may come after the update.
        var late = await shop.PostShopifyAsync("refunds/create", ShopOrders.ShopifyPayload("refunds-create-rest"));
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);

        await using var alice = await shop.Host.SignInAsync("alice", online: false);
        var order = await shop.GetOrderAsync(alice, "%231001");
        Assert.Equal(("refunded", 299.00m), (order.GetProperty("state").GetString(), order.GetProperty("refundedAmount").GetDecimal()));
        Assert.Equal("cancelled", FollowUp(order, "shipped").GetProperty("status").GetString());
        await using var db = shop.Host.CreateDbContext();
        Assert.Equal(6, await db.OrderEvents.CountAsync()); // created, paid, shipped, two refunds and the refunded update; the ignored update is none
    }

    [Fact]
    public async Task AStandardRefundWithAnAmount_KeepsADeliveredOrdersReviewRequestAndReturnVisit_AndOneWithoutRefundsTheRest()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await DeliveredStandardOrderAsync(shop, "2001");

        var partial = await shop.PostAsync("order.refunded", new { orderId = "2001", amount = "99.00", reason = "围巾颜色不对" });
        Assert.Equal("delivered", (await partial.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        var followUps = await shop.FollowUpsAsync("2001");
        Assert.All(
            followUps.Where(f => f.Kind is FollowUpKinds.DeliveryCheckIn or FollowUpKinds.ReviewRequest or FollowUpKinds.ReturnVisit),
            f => Assert.Equal(FollowUpStatus.Planned, f.Status));
        Assert.Equal(3, followUps.Count(f => f.Kind is FollowUpKinds.DeliveryCheckIn or FollowUpKinds.ReviewRequest or FollowUpKinds.ReturnVisit));
        Assert.Equal(OrderStage.Bought, await StageAsync(shop, StandardBuyer));
        await using (var db = shop.Host.CreateDbContext())
        {
            var order = await db.Orders.SingleAsync();
            Assert.Equal((OrderState.Delivered, 299.00m, 99.00m), (order.State, order.Amount, order.RefundedAmount));
        }

        // No amount: the whole order (what was left of it), as before.
        var whole = await shop.PostAsync("order.refunded", new { orderId = "2001" });
        Assert.Equal("refunded", (await whole.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.All(
            (await shop.FollowUpsAsync("2001")).Where(f => f.Kind is FollowUpKinds.ReviewRequest or FollowUpKinds.ReturnVisit),
            f => Assert.Equal((FollowUpStatus.Cancelled, "refunded"), (f.Status, f.Reason)));
        Assert.Equal(OrderStage.None, await StageAsync(shop, StandardBuyer));
        await using var alice = await shop.Host.SignInAsync("alice");
        Assert.Equal(299.00m, (await shop.GetOrderAsync(alice, "2001")).GetProperty("refundedAmount").GetDecimal());
    }

    [Fact]
    public async Task ARefundOfPartAfterARefundRequest_SettlesIt_TheBuyerIsBackToBought_AndANewRequestCountsAgain()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await DeliveredStandardOrderAsync(shop, "2001");
        shop.Clock.Advance(TimeSpan.FromHours(1));
        await shop.PostAsync("order.refund_requested", new { orderId = "2001", reason = "围巾颜色不对" });
        Assert.Equal(OrderStage.Refund, await StageAsync(shop, StandardBuyer));

        shop.Clock.Advance(TimeSpan.FromHours(1));
        var settled = await shop.PostAsync("order.refunded", new { orderId = "2001", amount = "99.00" });
        Assert.Equal("delivered", (await settled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(OrderStage.Bought, await StageAsync(shop, StandardBuyer));
        // A request the shop's system reports late, made before that refund, was the one it settled.
        var late = await shop.PostAsync("order.refund_requested", new { orderId = "2001", occurredAt = "2026-12-07T10:30:00+08:00" });
        Assert.Equal("delivered", (await late.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());

        shop.Clock.Advance(TimeSpan.FromHours(1));
        var again = await shop.PostAsync("order.refund_requested", new { orderId = "2001", reason = "手套也不合适" });
        Assert.Equal("refund-requested", (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(OrderStage.Refund, await StageAsync(shop, StandardBuyer));
        var rest = await shop.PostAsync("order.refunded", new { orderId = "2001", amount = "200.00" });
        Assert.Equal("refunded", (await rest.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(OrderStage.None, await StageAsync(shop, StandardBuyer));
    }

    [Fact]
    public async Task StandardRefundsAddingUpToTheTotal_RefundTheOrder()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await DeliveredStandardOrderAsync(shop, "2001");
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.refunded", new { orderId = "2001", amount = 99 })).StatusCode);
        var last = await shop.PostAsync("order.refunded", new { orderId = "2001", amount = "200.00" });
        Assert.Equal("refunded", (await last.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.Equal(FollowUpStatus.Cancelled, (await shop.FollowUpsAsync("2001")).Single(f => f.Kind == FollowUpKinds.ReviewRequest).Status);
    }

    [Theory]
    // Bad inputs tried, after a refund of 99.00 of a 299.00 order: a negative amount (as a string and as a number), a
    // word, more than the 200.00 left, a negative line subtotal when the refund has no transactions, a partial refund of
    // an order the gateway never heard of, an amount on another event type.
    [InlineData("shopify", "negative", 400, "transactions[0].amount")]
    [InlineData("shopify", "word", 400, "transactions[0].amount")]
    [InlineData("shopify", "too-much", 422, "transactions")]
    [InlineData("shopify", "negative-subtotal", 400, "refund_line_items[0].subtotal")]
    [InlineData("shopify", "unknown-order", 422, "order_id")]
    [InlineData("standard", "negative", 400, "data.amount")]
    [InlineData("standard", "negative-number", 400, "data.amount")]
    [InlineData("standard", "word", 400, "data.amount")]
    [InlineData("standard", "too-much", 422, "data.amount")]
    [InlineData("standard", "unknown-order", 422, "data.orderId")]
    public async Task BadRefunds_AreRefusedNamingTheField_AndNothingIsStored(string format, string how, int status, string field)
    {
        await using var shop = await ShopifyOrderShippedAsync();
        Assert.Equal(HttpStatusCode.OK, (await shop.PostShopifyAsync("refunds/create", ShopOrders.ShopifyPayload("refunds-create-one-item"))).StatusCode);
        await DeliveredStandardOrderAsync(shop, "2001");
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.refunded", new { orderId = "2001", amount = "99.00" })).StatusCode);
        int events;
        await using (var db = shop.Host.CreateDbContext())
        {
            events = await db.OrderEvents.CountAsync();
        }

        HttpResponseMessage answer;
        if (format == "shopify")
        {
            var rest = ShopOrders.ShopifyPayload("refunds-create-rest");
            var body = how switch
            {
                "negative" => rest.Replace("\"amount\": \"200.00\"", "\"amount\": \"-10.00\"", StringComparison.Ordinal),
                "word" => rest.Replace("\"amount\": \"200.00\"", "\"amount\": \"two hundred\"", StringComparison.Ordinal),
                "too-much" => rest.Replace("\"amount\": \"200.00\"", "\"amount\": \"200.01\"", StringComparison.Ordinal),
                "negative-subtotal" => RefundWithoutTransactions(rest).Replace("\"subtotal\": 100.0", "\"subtotal\": -100.0", StringComparison.Ordinal),
                _ => rest.Replace("450789469", "450789470", StringComparison.Ordinal),
            };
            Assert.NotEqual(rest, body);
            answer = await shop.PostShopifyAsync("refunds/create", body);
        }
        else
        {
            answer = await shop.PostAsync("order.refunded", how switch
            {
                "negative" => new { orderId = "2001", amount = (object)"-10.00" },
                "negative-number" => new { orderId = "2001", amount = (object)-10 },
                "word" => new { orderId = "2001", amount = (object)"ten" },
                "too-much" => new { orderId = "2001", amount = (object)"200.01" },
                _ => (object)new { orderId = "2002", amount = "10.00", buyer = new { phone = "+8613900000000" } },
            });
        }

        Assert.Equal(status, (int)answer.StatusCode);
        var error = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, error.GetProperty("field").GetString());
        Assert.StartsWith(field, error.GetProperty("error").GetString(), StringComparison.Ordinal);

        await using var after = shop.Host.CreateDbContext();
        Assert.Equal(events, await after.OrderEvents.CountAsync());
        var orders = await after.Orders.AsNoTracking().OrderBy(o => o.ExternalOrderId).ToListAsync();
        Assert.Equal(
            new[] { ("#1001", OrderState.Shipped, (decimal?)99.00m), ("2001", OrderState.Delivered, (decimal?)99.00m) },
            orders.Select(o => (o.ExternalOrderId, o.State, o.RefundedAmount)).ToArray());
    }

    /// <summary>A Shopify store's three-item order (299.00), paid and shipped, with its shipping notice planned.</summary>
    private static async Task<ShopOrders> ShopifyOrderShippedAsync()
    {
        var shop = await ShopOrders.StartAsync(Ten, shopify: true);
        var order = ShopOrders.ShopifyPayload("orders-paid-three-items");
        Assert.Equal(HttpStatusCode.OK, (await shop.PostShopifyAsync("orders/create", order)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.PostShopifyAsync("orders/paid", order)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.PostShopifyAsync("fulfillments/create", ShopOrders.ShopifyPayload("fulfillments-create"))).StatusCode);
        return shop;
    }

    /// <summary>A standard-format order of three items (299.00), paid and delivered: check-in, review request and return visit planned.</summary>
    private static async Task DeliveredStandardOrderAsync(ShopOrders shop, string orderId)
    {
        var created = new
        {
            orderId,
            createdAt = "2026-12-07T10:00:00+08:00",
            buyer = new { phone = StandardBuyer, name = "韩梅梅" },
            items = new[] { new { title = "羊毛围巾", quantity = 1, price = "99.00" }, new { title = "羊绒手套", quantity = 1, price = "100.00" }, new { title = "毛线帽", quantity = 1, price = "100.00" } },
            amount = "299.00",
            currency = "CNY",
        };
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.created", created)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.paid", new { orderId })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.delivered", new { orderId })).StatusCode);
    }

    private static string RefundWithoutTransactions(string refund)
    {
        var start = refund.IndexOf("\"transactions\": [", StringComparison.Ordinal);
        var end = refund.IndexOf("\"order_adjustments\"", StringComparison.Ordinal);
        return refund[..start] + "\"transactions\": [],\n  " + refund[end..];
    }

    private static JsonElement FollowUp(JsonElement order, string kind) =>
        order.GetProperty("followUps").EnumerateArray().Single(f => f.GetProperty("kind").GetString() == kind);

    private static async Task<OrderStage> StageAsync(ShopOrders shop, string phone = ShopifyBuyer)
    {
        await using var db = shop.Host.CreateDbContext();
        return (await db.Contacts.SingleAsync(c => c.Phone == phone)).OrderStage;
    }
}

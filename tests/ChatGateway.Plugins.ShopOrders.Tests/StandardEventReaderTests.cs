using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.ShopOrders.Tests;

/// <summary>The generic format: <c>{"type", "data"}</c> to an <see cref="OrderEvent"/>, each failure naming its field.</summary>
public sealed class StandardEventReaderTests
{
    private static OrderEvent Read(string json) => StandardEventReader.Read("msg_1", Payloads.Parse(json));

    [Fact]
    public void OrderCreated_CarriesEverythingTheShopSent()
    {
        var e = Read("""
            {"type":"order.created","data":{"orderId":"1001","createdAt":"2026-12-07T10:00:00+08:00",
             "buyer":{"phone":"+8613800138000","email":"li.lei@example.com","name":"李雷","channel":"webchat","externalId":"v_1"},
             "items":[{"title":"羊毛围巾","quantity":2,"price":"99.50"},{"title":"毛线帽","price":100}],"amount":"299.00","currency":"CNY"}}
            """);

        Assert.Equal(("msg_1", OrderEventType.Created, "1001"), (e.EventId, e.Type, e.OrderId));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(8)), e.OccurredAt);
        Assert.Equal(new OrderBuyer { Phone = "+8613800138000", Email = "li.lei@example.com", Name = "李雷", ChannelInstanceId = "webchat", ExternalId = "v_1" }, e.Buyer);
        Assert.Equal(new[] { new OrderItem("羊毛围巾", 2, 99.50m), new OrderItem("毛线帽", 1, 100m) }, e.Items!);
        Assert.Equal((299.00m, "CNY", (decimal?)null), (e.Amount, e.Currency, e.RefundAmount));
    }

    [Theory]
    [InlineData("order.created", OrderEventType.Created)]
    [InlineData("order.paid", OrderEventType.Paid)]
    [InlineData("order.shipped", OrderEventType.Shipped)]
    [InlineData("order.delivered", OrderEventType.Delivered)]
    [InlineData("order.received", OrderEventType.Delivered)]
    [InlineData("order.refund_requested", OrderEventType.RefundRequested)]
    [InlineData("order.refunded", OrderEventType.Refunded)]
    [InlineData("order.cancelled", OrderEventType.Cancelled)]
    public void EachType_MapsToItsEventType(string type, OrderEventType expected)
    {
        Assert.Equal(expected, Read($$$"""{"type":"{{{type}}}","data":{"orderId":"1001"}}""").Type);
    }

    [Fact]
    public void OrderShipped_CarriesTheCarrierTrackingNumberAndWhenItHappened()
    {
        var e = Read("""{"type":"order.shipped","data":{"orderId":"1001","occurredAt":"2026-12-07T03:00:00Z","carrier":"顺丰速运","trackingNumber":"SF1234567890"}}""");
        Assert.Equal(("顺丰速运", "SF1234567890", new DateTimeOffset(2026, 12, 7, 3, 0, 0, TimeSpan.Zero)), (e.Carrier, e.TrackingNumber, e.OccurredAt));
    }

    [Fact]
    public void CreatedAt_IsWhenItHappenedOnlyForOrderCreated()
    {
        Assert.Null(Read("""{"type":"order.paid","data":{"orderId":"1001","createdAt":"2026-12-07T10:00:00+08:00"}}""").OccurredAt);
    }

    [Theory]
    [InlineData("\"99.00\"", 99.00)]
    [InlineData("99", 99)]
    [InlineData("0", 0)]
    public void OrderRefundedWithAnAmount_IsARefundOfThatMuch_NotTheOrdersTotal(string amount, double expected)
    {
        var e = Read($$$"""{"type":"order.refunded","data":{"orderId":"1001","amount":{{{amount}}},"reason":"围巾颜色不对"}}""");
        Assert.Equal(((decimal)expected, (decimal?)null, "围巾颜色不对"), (e.RefundAmount!.Value, e.Amount, e.Reason));
    }

    [Fact]
    public void OrderRefundedWithoutAnAmount_IsARefundOfTheWholeOrder()
    {
        var e = Read("""{"type":"order.refunded","data":{"orderId":"1001"}}""");
        Assert.Equal((OrderEventType.Refunded, (decimal?)null, (decimal?)null), (e.Type, e.RefundAmount, e.Amount));
    }

    [Theory]
    // Bad inputs tried: not an object, no type, an unknown type, no data, data not an object, no orderId, an orderId of
    // the wrong kind, a time without offset, a buyer not an object, items not an array, an item without title or price,
    // a fractional quantity, amounts negative (string and number, on a refund), a word, a boolean.
    [InlineData("[]", "body")]
    [InlineData("""{"data":{"orderId":"1"}}""", "type")]
    [InlineData("""{"type":"order.teleported","data":{"orderId":"1"}}""", "type")]
    [InlineData("""{"type":"order.paid"}""", "data")]
    [InlineData("""{"type":"order.paid","data":"1001"}""", "data")]
    [InlineData("""{"type":"order.paid","data":{}}""", "data.orderId")]
    [InlineData("""{"type":"order.paid","data":{"orderId":{"id":1}}}""", "data.orderId")]
    [InlineData("""{"type":"order.paid","data":{"orderId":"1","occurredAt":"2026-12-07T10:00:00"}}""", "data.occurredAt")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","createdAt":"7 Dec 2026"}}""", "data.createdAt")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","buyer":"+8613800138000"}}""", "data.buyer")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","items":{"title":"x"}}}""", "data.items")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","items":["x"]}}""", "data.items[0]")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","items":[{"price":"1.00"}]}}""", "data.items[0].title")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","items":[{"title":"x","price":"1.00"},{"title":"y"}]}}""", "data.items[1].price")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","items":[{"title":"x","price":"1.00","quantity":1.5}]}}""", "data.items[0].quantity")]
    [InlineData("""{"type":"order.created","data":{"orderId":"1","amount":"-5"}}""", "data.amount")]
    [InlineData("""{"type":"order.refunded","data":{"orderId":"1","amount":"-5.00"}}""", "data.amount")]
    [InlineData("""{"type":"order.refunded","data":{"orderId":"1","amount":-5}}""", "data.amount")]
    [InlineData("""{"type":"order.refunded","data":{"orderId":"1","amount":"ten"}}""", "data.amount")]
    [InlineData("""{"type":"order.refunded","data":{"orderId":"1","amount":true}}""", "data.amount")]
    [InlineData("""{"type":"order.refunded","data":{"orderId":"1","amount":"1,000.00"}}""", "data.amount")]
    public void ABadEvent_IsRefusedNamingTheField(string json, string field)
    {
        var ex = Assert.Throws<BadEventException>(() => Read(json));
        Assert.Equal(field, ex.Field);
        Assert.StartsWith(field + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ANegativeRefund_SaysSo()
    {
        var ex = Assert.Throws<BadEventException>(() => Read("""{"type":"order.refunded","data":{"orderId":"1","amount":"-5.00"}}"""));
        Assert.Contains("negative", ex.Message, StringComparison.Ordinal);
    }
}

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.ShopOrders.Tests;

/// <summary>
/// Shopify's webhooks, replayed from Payloads/Shopify as Shopify sends them, to <see cref="OrderEvent"/>s: each topic, refunds
/// with what they returned, and bad payloads refused naming the field in Shopify's terms.
/// </summary>
public sealed class ShopifyEventReaderTests
{
    private static readonly TimeSpan Shanghai = TimeSpan.FromHours(8);

    private static OrderEvent? Read(string topic, string payload) => ShopifyEventReader.Read("shopify-1", topic, Payloads.Parse(payload));

    private static OrderEvent ReadFile(string topic, string file) => Read(topic, Payloads.Shopify(file)) ?? throw new InvalidOperationException("ignored");

    [Fact]
    public void OrdersCreate_IsTheOrderFoundByItsIdShownByItsName_WithBuyerLinesAndTotal()
    {
        var e = ReadFile("orders/create", "orders-paid-three-items");

        Assert.Equal((OrderEventType.Created, "450789469", "#1001"), (e.Type, e.OrderId, e.OrderName));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 10, 0, 0, Shanghai), e.OccurredAt);
        Assert.Equal(new OrderBuyer { Phone = "+8613800138000", Email = "li.lei@example.com", Name = "雷 李" }, e.Buyer);
        Assert.Equal(new[] { new OrderItem("羊毛围巾", 1, 99.00m), new OrderItem("羊绒手套", 1, 100.00m), new OrderItem("毛线帽", 1, 100.00m) }, e.Items!);
        Assert.Equal((299.00m, "CNY", (decimal?)null), (e.Amount, e.Currency, e.RefundAmount));
    }

    [Fact]
    public void OrdersPaid_HappenedWhenProcessed()
    {
        var e = ReadFile("orders/paid", "orders-paid-three-items");
        Assert.Equal((OrderEventType.Paid, new DateTimeOffset(2026, 12, 7, 10, 5, 0, Shanghai)), (e.Type, e.OccurredAt));
    }

    [Fact]
    public void OrdersFulfilled_TakesTheCarrierAndTrackingNumberOfTheLastFulfillment()
    {
        var e = ReadFile("orders/fulfilled", "orders-fulfilled");
        Assert.Equal((OrderEventType.Shipped, "#1001", "顺丰速运", "SF1234567890"), (e.Type, e.OrderName, e.Carrier, e.TrackingNumber));
    }

    [Fact]
    public void FulfillmentsCreate_FindsTheOrderByOrderId_AndIsNotNamedByTheFulfillmentsOwnName()
    {
        var e = ReadFile("fulfillments/create", "fulfillments-create");
        Assert.Equal((OrderEventType.Shipped, "450789469", (string?)null), (e.Type, e.OrderId, e.OrderName));
        Assert.Equal(("顺丰速运", "SF1234567890", new DateTimeOffset(2026, 12, 7, 11, 0, 0, Shanghai)), (e.Carrier, e.TrackingNumber, e.OccurredAt));
        Assert.Null(e.Buyer);
    }

    [Fact]
    public void OrdersCancelled_CarriesWhenAndWhy()
    {
        var e = ReadFile("orders/cancelled", "orders-cancelled");
        Assert.Equal((OrderEventType.Cancelled, "customer", new DateTimeOffset(2026, 12, 7, 10, 30, 0, Shanghai)), (e.Type, e.Reason, e.OccurredAt));
    }

    [Fact]
    public void ARefundOfOneItem_ReturnedWhatItsSuccessfulTransactionsDid_NotTheFailedAttempt()
    {
        var e = ReadFile("refunds/create", "refunds-create-one-item");
        Assert.Equal((OrderEventType.Refunded, "450789469", 99.00m), (e.Type, e.OrderId, e.RefundAmount!.Value));
        Assert.Equal(("围巾颜色不对", new DateTimeOffset(2026, 12, 7, 12, 0, 0, Shanghai)), (e.Reason, e.OccurredAt));
        Assert.Null(e.Amount);
        Assert.Null(e.OrderName);
    }

    [Fact]
    public void ARefundOfTheOtherTwoItems_ReturnedTheirTransactionsAmount()
    {
        Assert.Equal(200.00m, ReadFile("refunds/create", "refunds-create-rest").RefundAmount);
    }

    [Fact]
    public void ARefundWithoutTransactions_ReturnedItsLinesSubtotals()
    {
        Assert.Equal(99.00m, ReadFile("refunds/create", "refunds-create-without-transactions").RefundAmount);
    }

    [Theory]
    // Transactions that are not refunds (a capture) or refunds that did not go through return nothing.
    [InlineData("""[{"kind":"refund","status":"pending","amount":"50.00"},{"kind":"refund","status":"failure","amount":"50.00"}]""", "[]", 0)]
    [InlineData("""[{"kind":"capture","status":"success","amount":"299.00"},{"kind":"refund","status":"success","amount":"10.00"}]""", "[]", 10)]
    [InlineData("""[{"kind":"refund","status":"success","amount":"10.00"},{"kind":"refund","status":"success","amount":"5.50"}]""", """[{"subtotal":99.0}]""", 15.5)]
    [InlineData("[]", "[]", 0)]
    [InlineData("""[{"kind":"capture","status":"success","amount":"299.00"}]""", """[{"subtotal":"40.00"},{"subtotal":59}]""", 99)]
    public void ARefundsAmount_CountsSucceededRefundTransactions_ElseItsLines(string transactions, string lines, double expected)
    {
        var e = Read("refunds/create", $$"""{"id":1,"order_id":450789469,"created_at":"2026-12-07T12:00:00+08:00","refund_line_items":{{lines}},"transactions":{{transactions}}}""");
        Assert.Equal((decimal)expected, e!.RefundAmount);
    }

    [Fact]
    public void AnOrderUpdateSayingRefunded_RefundsTheWholeOrder()
    {
        var e = ReadFile("orders/updated", "orders-updated-refunded");
        Assert.Equal((OrderEventType.Refunded, "450789469", "#1001", (decimal?)null), (e.Type, e.OrderId, e.OrderName, e.RefundAmount));
        Assert.Equal(new DateTimeOffset(2026, 12, 7, 13, 0, 0, Shanghai), e.OccurredAt);
    }

    [Theory]
    [InlineData("paid")]
    [InlineData("partially_refunded")]
    [InlineData("pending")]
    public void AnOrderUpdateNotSayingRefunded_IsNoEvent(string status)
    {
        var payload = Payloads.Shopify("orders-updated-refunded").Replace("\"financial_status\": \"refunded\"", $"\"financial_status\": \"{status}\"", StringComparison.Ordinal);
        Assert.Null(Read("orders/updated", payload));
    }

    [Fact]
    public void FinancialStatusRefundedOnAnotherTopic_LeavesThatTopicsMeaning()
    {
        var payload = Payloads.Shopify("orders-cancelled").Replace("\"financial_status\": \"voided\"", "\"financial_status\": \"refunded\"", StringComparison.Ordinal);
        Assert.Equal(OrderEventType.Cancelled, Read("orders/cancelled", payload)!.Type);
    }

    [Fact]
    public void RefundAmountField_NamesWhereTheRefundsAmountCameFrom()
    {
        Assert.Equal("transactions", ShopifyEventReader.RefundAmountField(Payloads.Parse(Payloads.Shopify("refunds-create-one-item"))));
        Assert.Equal("refund_line_items", ShopifyEventReader.RefundAmountField(Payloads.Parse(Payloads.Shopify("refunds-create-without-transactions"))));
    }

    [Theory]
    // Bad inputs tried: not an object, no order id, an order id of the wrong kind, a time without offset, a line without
    // a title, a refund transaction's amount negative, a word, missing or a boolean; a transaction not an object,
    // transactions not an array; a negative or non-numeric line subtotal; a refund saying nothing of what it returned.
    [InlineData("orders/create", "[1]", "body")]
    [InlineData("orders/create", """{"name":"#1001"}""", "id")]
    [InlineData("refunds/create", """{"order_id":{"id":1},"transactions":[]}""", "order_id")]
    [InlineData("orders/create", """{"id":1,"created_at":"2026-12-07 10:00:00"}""", "created_at")]
    [InlineData("orders/create", """{"id":1,"line_items":[{"quantity":1}]}""", "line_items[0].title")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":[{"kind":"refund","status":"success","amount":"-10.00"}]}""", "transactions[0].amount")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":[{"kind":"sale","status":"success","amount":"1.00"},{"kind":"refund","status":"success","amount":-10}]}""", "transactions[1].amount")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":[{"kind":"refund","status":"success","amount":"ten"}]}""", "transactions[0].amount")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":[{"kind":"refund","status":"success"}]}""", "transactions[0].amount")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":[{"kind":"refund","status":"success","amount":false}]}""", "transactions[0].amount")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":["refund"]}""", "transactions[0]")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":{"kind":"refund"}}""", "transactions")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":[],"refund_line_items":[{"subtotal":-99.0}]}""", "refund_line_items[0].subtotal")]
    [InlineData("refunds/create", """{"order_id":1,"transactions":[],"refund_line_items":[{"subtotal":"n/a"}]}""", "refund_line_items[0].subtotal")]
    [InlineData("refunds/create", """{"order_id":1,"refund_line_items":"all"}""", "refund_line_items")]
    [InlineData("refunds/create", """{"order_id":1}""", "transactions")]
    public void ABadPayload_IsRefusedNamingTheField(string topic, string json, string field)
    {
        var ex = Assert.Throws<BadEventException>(() => Read(topic, json));
        Assert.Equal(field, ex.Field);
        Assert.StartsWith(field + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ATopicThisGatewayDoesNotFollow_IsRefused()
    {
        Assert.Equal("X-Shopify-Topic", Assert.Throws<BadEventException>(() => Read("products/update", """{"id":1}""")).Field);
    }
}

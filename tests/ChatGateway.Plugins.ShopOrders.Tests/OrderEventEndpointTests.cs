using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.ShopOrders.Tests;

/// <summary>
/// The plugin's endpoint on its own: what reaches the gateway (the sink) and what the shop hears. The gateway's side of
/// these events (state, follow-ups) is the gateway tests' subject.
/// </summary>
public sealed class OrderEventEndpointTests
{
    [Fact]
    public async Task ASignedStandardRefund_ReachesTheGatewayWithItsAmount_AndTheShopHearsTheGatewaysAnswer()
    {
        await using var host = await ShopOrdersTestHost.StartAsync();
        var answer = await host.PostStandardAsync("""{"type":"order.refunded","data":{"orderId":"1001","amount":"99.00"}}""", "msg_refund_1");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(("1001", "paid", false), (body.GetProperty("orderId").GetString(), body.GetProperty("state").GetString(), body.GetProperty("duplicate").GetBoolean()));
        var e = Assert.Single(host.Sink.Events);
        Assert.Equal(("msg_refund_1", OrderEventType.Refunded, (decimal?)99.00m, (decimal?)null), (e.EventId, e.Type, e.RefundAmount, e.Amount));
    }

    [Theory]
    // Signed with another secret, stale, from the future, a forged signature over a body that is not even JSON.
    [InlineData("other-secret")]
    [InlineData("stale")]
    [InlineData("future")]
    [InlineData("forged-not-json")]
    [InlineData("unsigned")]
    public async Task AStandardEventNotSignedNow_Is401_AndNothingReachesTheGateway(string how)
    {
        await using var host = await ShopOrdersTestHost.StartAsync();
        const string body = """{"type":"order.paid","data":{"orderId":"1001"}}""";
        var answer = how switch
        {
            "stale" => await host.PostStandardAsync(body, signedAt: ShopOrdersTestHost.Now.AddMinutes(-5).AddSeconds(-1)),
            "future" => await host.PostStandardAsync(body, signedAt: ShopOrdersTestHost.Now.AddMinutes(5).AddSeconds(1)),
            "unsigned" => await host.Client.SendAsync(ShopOrdersTestHost.Request(body), TestContext.Current.CancellationToken),
            _ => await host.Client.SendAsync(Forged(how == "forged-not-json" ? "{not json" : body), TestContext.Current.CancellationToken),
        };

        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Empty(host.Sink.Events);
    }

    [Fact]
    public async Task AShopifyRefund_ReachesTheGatewayWithWhatItReturned()
    {
        await using var host = await ShopOrdersTestHost.StartAsync("shopify");
        var answer = await host.PostShopifyAsync("refunds/create", Payloads.Shopify("refunds-create-one-item"), webhookId: "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043");

        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var e = Assert.Single(host.Sink.Events);
        Assert.Equal(("b54557e4-bdd9-4b37-8a5f-bf7d70bcd043", OrderEventType.Refunded, "450789469", (decimal?)99.00m), (e.EventId, e.Type, e.OrderId, e.RefundAmount));
    }

    [Fact]
    public async Task AShopifyWebhookSignedWithAnotherSecret_Is401_AndNothingReachesTheGateway()
    {
        await using var host = await ShopOrdersTestHost.StartAsync("shopify");
        var answer = await host.PostShopifyAsync("refunds/create", Payloads.Shopify("refunds-create-one-item"), secret: "shpss_another-app");
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.Empty(host.Sink.Events);
    }

    [Theory]
    [InlineData("orders/updated", "orders-paid-three-items")]
    [InlineData("products/update", "orders-paid-three-items")]
    public async Task AShopifyWebhookThatIsNoOrderEvent_IsAcknowledgedAsIgnored_SoShopifyKeepsTheSubscription(string topic, string file)
    {
        await using var host = await ShopOrdersTestHost.StartAsync("shopify");
        var answer = await host.PostShopifyAsync(topic, Payloads.Shopify(file));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.True((await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("ignored").GetBoolean());
        Assert.Empty(host.Sink.Events);
    }

    [Fact]
    public async Task AShopifyOrderUpdateSayingRefunded_ReachesTheGatewayAsARefundOfTheWholeOrder()
    {
        await using var host = await ShopOrdersTestHost.StartAsync("shopify");
        Assert.Equal(HttpStatusCode.OK, (await host.PostShopifyAsync("orders/updated", Payloads.Shopify("orders-updated-refunded"))).StatusCode);
        var e = Assert.Single(host.Sink.Events);
        Assert.Equal((OrderEventType.Refunded, (decimal?)null), (e.Type, e.RefundAmount));
    }

    [Theory]
    // The gateway names the standard format's fields; the shop hears the field of its own payload.
    [InlineData("refunds-create-one-item", "data.amount", "transactions")]
    [InlineData("refunds-create-without-transactions", "data.amount", "refund_line_items")]
    [InlineData("refunds-create-one-item", "data.orderId", "order_id")]
    [InlineData("refunds-create-one-item", "type", "type")]
    public async Task AShopifyRefundTheGatewayRefuses_Is422NamingTheFieldOfTheShopifyPayload(string file, string gatewayField, string shopifyField)
    {
        await using var host = await ShopOrdersTestHost.StartAsync("shopify");
        host.Sink.Refusal = new OrderEventRejectedException(gatewayField, "a refund of 200.01 CNY is more than the 200.00 CNY left");
        var answer = await host.PostShopifyAsync("refunds/create", Payloads.Shopify(file));

        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
        var error = await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(shopifyField, error.GetProperty("field").GetString());
        Assert.Equal(shopifyField + ": a refund of 200.01 CNY is more than the 200.00 CNY left", error.GetProperty("error").GetString());
    }

    [Fact]
    public async Task AStandardRefundTheGatewayRefuses_KeepsTheGatewaysFieldAndStatus()
    {
        await using var host = await ShopOrdersTestHost.StartAsync();
        host.Sink.Refusal = new OrderEventRejectedException("data.amount", "more than is left", 422);
        var answer = await host.PostStandardAsync("""{"type":"order.refunded","data":{"orderId":"1001","amount":"500.00"}}""");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
        Assert.Equal("data.amount", (await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("standard", "order.refunded", """{"type":"order.refunded","data":{"orderId":"1001","amount":"-1.00"}}""", "data.amount")]
    [InlineData("shopify", "refunds/create", """{"order_id":450789469,"transactions":[{"kind":"refund","status":"success","amount":"abc"}]}""", "transactions[0].amount")]
    [InlineData("shopify", "refunds/create", """{"order_id":450789469,"transactions":[],"refund_line_items":[{"subtotal":"-1.00"}]}""", "refund_line_items[0].subtotal")]
    public async Task ABadRefund_Is400NamingTheField_AndNothingReachesTheGateway(string format, string topic, string body, string field)
    {
        await using var host = await ShopOrdersTestHost.StartAsync(format);
        var answer = format == "shopify" ? await host.PostShopifyAsync(topic, body) : await host.PostStandardAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal(field, (await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("field").GetString());
        Assert.Empty(host.Sink.Events);
    }

    [Fact]
    public async Task AShopifyWebhookWithoutItsWebhookId_Is400NamingTheHeader()
    {
        await using var host = await ShopOrdersTestHost.StartAsync("shopify");
        var answer = await host.PostShopifyAsync("refunds/create", Payloads.Shopify("refunds-create-one-item"), webhookId: null);
        Assert.Equal(HttpStatusCode.BadRequest, answer.StatusCode);
        Assert.Equal("X-Shopify-Webhook-Id", (await answer.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken)).GetProperty("field").GetString());
        Assert.Empty(host.Sink.Events);
    }

    private static HttpRequestMessage Forged(string body)
    {
        var request = ShopOrdersTestHost.Request(body);
        request.Headers.Add("webhook-id", "msg_1");
        request.Headers.Add("webhook-timestamp", ShopOrdersTestHost.Now.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", "v1," + Convert.ToBase64String(new byte[32]));
        return request;
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>Order events in: signed, once, in any order, on the buyer's contact, and visible to agents.</summary>
public sealed class OrderEventsTests
{
    [Fact]
    public async Task PublishedStandardWebhooksExample_PassesTheSignatureCheck_AndAnyChangeToItFails()
    {
        // The spec's example, at its own time: the signature verifies, so the body is read (and found not to be an order event).
        await using var shop = await ShopOrders.StartAsync(DateTimeOffset.FromUnixTimeSeconds(1614265330).ToOffset(TimeSpan.FromHours(8)));
        HttpRequestMessage Example(string signature, string body = "{\"test\": 2432232314}")
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/channels/orders/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
            request.Headers.Add("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek");
            request.Headers.Add("webhook-timestamp", "1614265330");
            request.Headers.Add("webhook-signature", signature);
            return request;
        }

        var verified = await shop.Http.SendAsync(Example("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="));
        Assert.Equal(HttpStatusCode.BadRequest, verified.StatusCode);
        Assert.Equal("type", (await verified.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("field").GetString());
        // One of several signatures is enough (secret rotation).
        Assert.Equal(HttpStatusCode.BadRequest, (await shop.Http.SendAsync(Example("v1,bm9wZQ== v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shop.Http.SendAsync(Example("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "{\"test\": 2432232315}"))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shop.Http.SendAsync(Example("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF="))).StatusCode);
        shop.Clock.Advance(TimeSpan.FromMinutes(6));
        Assert.Equal(HttpStatusCode.Unauthorized, (await shop.Http.SendAsync(Example("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="))).StatusCode);
    }

    [Fact]
    public async Task UnpaidOrder_IsStoredOnTheBuyersContact_AndItsRemindersAreListedAtTheirSlotsInShopTime()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        var answer = await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        var body = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("created", body.GetProperty("state").GetString());
        Assert.False(body.GetProperty("duplicate").GetBoolean());

        await using var alice = await shop.Host.SignInAsync("alice");
        var order = await shop.GetOrderAsync(alice, "1001");
        Assert.Equal("created", order.GetProperty("state").GetString());
        Assert.Equal(199.00m, order.GetProperty("amount").GetDecimal());
        Assert.Equal("羊毛围巾", order.GetProperty("items")[0].GetProperty("title").GetString());
        Assert.Equal("+8613800138000", order.GetProperty("buyer").GetProperty("phone").GetString());
        var followUps = order.GetProperty("followUps").EnumerateArray().Select(f => (
            Kind: f.GetProperty("kind").GetString(), Step: f.GetProperty("step").GetInt32(), Due: f.GetProperty("dueAt").GetString(), Status: f.GetProperty("status").GetString())).ToList();
        // Placed at 10:00: reminded 11:00 the same day, and once more at 11:00 the next day; confirmed at once.
        Assert.Contains(("payment-reminder", 1, "2026-12-07T11:00:00+08:00", "planned"), followUps);
        Assert.Contains(("payment-reminder", 2, "2026-12-08T11:00:00+08:00", "planned"), followUps);
        Assert.Contains(followUps, f => f.Kind == "order-confirmation" && f.Step == 1 && f.Due == "2026-12-07T10:00:00+08:00");

        await using var db = shop.Host.CreateDbContext();
        var contact = await db.Contacts.SingleAsync(c => c.Phone == "+8613800138000");
        Assert.Equal("李雷", contact.DisplayName);
        Assert.Equal(OrderStage.Unpaid, contact.OrderStage);
    }

    [Theory]
    [InlineData(10, 59, "2026-12-07T11:00:00+08:00")]
    [InlineData(11, 0, "2026-12-07T16:00:00+08:00")]
    [InlineData(15, 59, "2026-12-07T16:00:00+08:00")]
    [InlineData(16, 0, "2026-12-08T09:00:00+08:00")]
    [InlineData(23, 30, "2026-12-08T09:00:00+08:00")]
    [InlineData(0, 30, "2026-12-07T11:00:00+08:00")]
    public async Task FirstPaymentReminder_FallsInTheSlotOfTheHourTheOrderWasPlaced(int hour, int minute, string expected)
    {
        var placed = ShopOrders.ShopTime(2026, 12, 7, hour, minute);
        await using var shop = await ShopOrders.StartAsync(placed);
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.created", ShopOrders.Created("2001", placed))).StatusCode);
        var reminder = (await shop.FollowUpsAsync("2001")).Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1);
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), reminder.DueAt);
    }

    [Fact]
    public async Task RedeliveredEvent_IsAcknowledgedAsADuplicate_AndChangesNothing()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        var data = ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        var first = await shop.PostAsync("order.created", data, eventId: "msg_same");
        var again = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => shop.PostAsync("order.created", data, eventId: "msg_same")));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.All(again, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.All(again, a => Assert.True(a.Content.ReadFromJsonAsync<JsonElement>().Result.GetProperty("duplicate").GetBoolean()));

        await using var db = shop.Host.CreateDbContext();
        Assert.Equal(1, await db.OrderEvents.CountAsync());
        Assert.Equal(1, await db.Orders.CountAsync());
        Assert.Equal(4, await db.FollowUps.CountAsync()); // confirmation x2, reminders x2: planned once
    }

    [Fact]
    public async Task EventsOutOfOrder_EndInTheRightState_AndAPaidOrderIsNeverReminded()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        // Paid arrives first, carrying the buyer; created follows with the details.
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.paid", new { orderId = "1001", buyer = new { phone = "+8613800138000" } })).StatusCode);
        var created = await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 9, 55)));
        Assert.Equal("paid", (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        Assert.DoesNotContain(await shop.FollowUpsAsync("1001"), f => f.Kind == FollowUpKinds.PaymentReminder);

        // Delivered before shipped: delivered, with the carrier the late shipped event brings.
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.delivered", new { orderId = "1001" })).StatusCode);
        var shipped = await shop.PostAsync("order.shipped", new { orderId = "1001", carrier = "顺丰速运", trackingNumber = "SF1234567890" });
        Assert.Equal("delivered", (await shipped.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await using var db = shop.Host.CreateDbContext();
        var order = await db.Orders.SingleAsync();
        Assert.Equal("SF1234567890", order.TrackingNumber);
        Assert.Equal(199.00m, order.Amount);
        Assert.Equal(OrderStage.Bought, (await db.Contacts.SingleAsync()).OrderStage);
    }

    [Fact]
    public async Task PaymentCancelsTheReminders_WhichTheOrderListsAsCancelledBecausePaid()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.paid", new { orderId = "1001" })).StatusCode);
        var reminders = (await shop.FollowUpsAsync("1001")).Where(f => f.Kind == FollowUpKinds.PaymentReminder).ToList();
        Assert.Equal(2, reminders.Count);
        Assert.All(reminders, r => Assert.Equal((FollowUpStatus.Cancelled, "paid"), (r.Status, r.Reason)));
    }

    [Theory]
    // Bad inputs tried: another secret, a signature of another body, a stale and a future timestamp, no signature headers.
    [InlineData("forged")]
    [InlineData("other-body")]
    [InlineData("stale")]
    [InlineData("future")]
    [InlineData("unsigned")]
    public async Task UnsignedForgedOrStaleEvents_Get401_AndNothingIsStored(string how)
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        var body = JsonSerializer.Serialize(new { type = "order.created", data = ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)) });
        var now = shop.Clock.GetUtcNow();
        var request = how switch
        {
            "forged" => ShopOrders.Signed(body, "msg_x", now, "whsec_" + Convert.ToBase64String(new byte[32])),
            "other-body" => Swap(ShopOrders.Signed(body.Replace("199.00", "1.00", StringComparison.Ordinal), "msg_x", now), body),
            "stale" => ShopOrders.Signed(body, "msg_x", now.AddMinutes(-6)),
            "future" => ShopOrders.Signed(body, "msg_x", now.AddMinutes(6)),
            _ => new HttpRequestMessage(HttpMethod.Post, "/channels/orders/events") { Content = new StringContent(body, Encoding.UTF8, "application/json") },
        };
        var answer = await shop.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        Assert.False(string.IsNullOrEmpty((await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()));
        await using var db = shop.Host.CreateDbContext();
        Assert.Equal(0, await db.Orders.CountAsync());
        Assert.Equal(0, await db.OrderEvents.CountAsync());
        Assert.Equal(0, await db.Contacts.CountAsync());
    }

    [Theory]
    // Bad inputs tried: a refund of an unpaid order, a missing buyer on a new order, a bad phone, a channel that does not
    // exist, a negative amount, an unknown type, not JSON, a JSON array, a wrong type for amount, no orderId, a time
    // without its offset.
    [InlineData("order.refunded", """{"orderId":"1001"}""", 422, "type")]
    [InlineData("order.created", """{"orderId":"1002","items":[]}""", 422, "data.buyer")]
    [InlineData("order.created", """{"orderId":"1002","buyer":{"phone":"abc"}}""", 422, "data.buyer.phone")]
    [InlineData("order.created", """{"orderId":"1002","buyer":{"channel":"wechat-x","externalId":"u1"}}""", 422, "data.buyer.channel")]
    [InlineData("order.created", """{"orderId":"1002","amount":"-5","buyer":{"phone":"+8613900000000"}}""", 400, "data.amount")]
    [InlineData("order.teleported", """{"orderId":"1002"}""", 400, "type")]
    [InlineData("order.created", """{"orderId":"1002","amount":true,"buyer":{"phone":"+8613900000000"}}""", 400, "data.amount")]
    [InlineData("order.created", """{"buyer":{"phone":"+8613900000000"}}""", 400, "data.orderId")]
    [InlineData("order.created", """{"orderId":"1002","createdAt":"2026-12-07T10:00:00","buyer":{"phone":"+8613900000000"}}""", 400, "data.createdAt")]
    public async Task EventsThatCannotApply_AreRefusedNamingTheField_AndNothingIsHalfApplied(string type, string data, int status, string field)
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        var body = $$"""{"type":"{{type}}","data":{{data}}}""";
        var answer = await shop.Http.SendAsync(ShopOrders.Signed(body, "msg_bad", shop.Clock.GetUtcNow()));
        Assert.Equal(status, (int)answer.StatusCode);
        var error = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(field, error.GetProperty("field").GetString());

        await using var db = shop.Host.CreateDbContext();
        Assert.Equal(1, await db.Orders.CountAsync());
        Assert.Equal(1, await db.OrderEvents.CountAsync());
        Assert.Equal(OrderState.Created, (await db.Orders.SingleAsync()).State);
        Assert.Equal(1, await db.Contacts.CountAsync());
    }

    [Theory]
    [InlineData("text/plain", 415)]
    [InlineData("not-json", 400)]
    [InlineData("array", 400)]
    [InlineData("huge", 413)]
    public async Task BodiesThatAreNotAnEvent_AreRefused(string what, int status)
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        var now = shop.Clock.GetUtcNow();
        var request = what switch
        {
            "text/plain" => ShopOrders.Signed("""{"type":"order.paid","data":{"orderId":"1"}}""", "m1", now, contentType: "text/plain"),
            "not-json" => ShopOrders.Signed("{type: order.paid", "m1", now),
            "array" => ShopOrders.Signed("[1,2,3]", "m1", now),
            _ => ShopOrders.Signed("{\"type\":\"order.paid\",\"data\":{\"orderId\":\"1\",\"reason\":\"" + new string('x', 300 * 1024) + "\"}}", "m1", now),
        };
        Assert.Equal(status, (int)(await shop.Http.SendAsync(request)).StatusCode);
        await using var db = shop.Host.CreateDbContext();
        Assert.Equal(0, await db.OrderEvents.CountAsync());
    }

    [Fact]
    public async Task AgentsSeeOnlyOrdersOfCustomersTheyServe_SupervisorsAll_AndUnknownOrdersAre404()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await using var bob = await shop.Host.SignInAsync("bob");
        await using var alice = await shop.Host.SignInAsync("alice");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync("/api/orders/1001")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.GetAsync("/api/orders/1001")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.GetAsync("/api/orders/9999")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shop.Http.GetAsync("/api/orders/1001")).StatusCode);
    }

    private static HttpRequestMessage Swap(HttpRequestMessage signed, string body)
    {
        signed.Content = new StringContent(body, Encoding.UTF8, "application/json");
        return signed;
    }
}

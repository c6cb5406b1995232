using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>
/// The gateway's side of order events: each event type's state and the buyer's order stage, exactly once even when
/// delivered twice at once (both engines), impossible facts refused with nothing stored, the buyer found by phone, email
/// or channel identity, routing by the stage (also right after an event, past the SQLite writer's contact cache), and
/// the order API's shape. Events go through the real ShopOrders plugin, signed; the clock is fake.
/// </summary>
public sealed class OrderCoreTests
{
    private const string Buyer = "+8613800138000";

    private static DateTimeOffset Ten => ShopOrders.ShopTime(2026, 12, 7, 10, 0);

    [Fact]
    public async Task EachEventType_SetsItsTime_TheOrdersState_AndTheBuyersStage()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        var steps = new (string Type, object Data, string State, OrderStage Stage)[]
        {
            ("order.created", ShopOrders.Created("1001", Ten), "created", OrderStage.Unpaid),
            ("order.paid", new { orderId = "1001" }, "paid", OrderStage.Bought),
            ("order.shipped", new { orderId = "1001", carrier = "顺丰速运", trackingNumber = "SF1" }, "shipped", OrderStage.Bought),
            ("order.delivered", new { orderId = "1001" }, "delivered", OrderStage.Bought),
            ("order.refund_requested", new { orderId = "1001", reason = "尺码不合适" }, "refund-requested", OrderStage.Refund),
            ("order.refunded", new { orderId = "1001" }, "refunded", OrderStage.None),
        };
        foreach (var (type, data, state, stage) in steps)
        {
            shop.Clock.Advance(TimeSpan.FromMinutes(1));
            var answer = await shop.PostAsync(type, data);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            Assert.Equal(state, (await answer.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
            await using var db = shop.Host.CreateDbContext();
            Assert.Equal(stage, (await db.Contacts.SingleAsync()).OrderStage);
        }

        await using (var db = shop.Host.CreateDbContext())
        {
            var order = await db.Orders.SingleAsync();
            // Each event set its own time (the gateway's clock, one minute apart), none blanked an earlier one.
            Assert.Equal(
                [Ten.AddMinutes(2), Ten.AddMinutes(3), Ten.AddMinutes(4), Ten.AddMinutes(5), Ten.AddMinutes(6)],
                new[] { order.PaidAt, order.ShippedAt, order.DeliveredAt, order.RefundRequestedAt, order.RefundedAt }.Select(t => t!.Value.ToUniversalTime()).ToArray());
            Assert.Equal(("顺丰速运", "SF1", "尺码不合适", 199.00m), (order.Carrier, order.TrackingNumber, order.Reason, order.Amount));
            Assert.Equal(6, await db.OrderEvents.CountAsync());
        }

        // The one event type left: a new unpaid order cancelled; the stage falls back to none.
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.created", ShopOrders.Created("1002", Ten.AddHours(1)))).StatusCode);
        var cancelled = await shop.PostAsync("order.cancelled", new { orderId = "1002", reason = "买错了" });
        Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await using var after = shop.Host.CreateDbContext();
        Assert.Equal(OrderStage.None, (await after.Contacts.SingleAsync()).OrderStage);
        Assert.NotNull((await after.Orders.SingleAsync(o => o.ExternalOrderId == "1002")).CancelledAt);
    }

    [Fact]
    public async Task AClosedOrder_LetsTheNextNewestOrderStillGoingDecideTheStage()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await shop.PostAsync("order.created", ShopOrders.Created("1002", Ten.AddHours(1)));
        Assert.Equal(OrderStage.Unpaid, await StageAsync(shop));
        await shop.PostAsync("order.cancelled", new { orderId = "1002" });
        Assert.Equal(OrderStage.Bought, await StageAsync(shop));
        await shop.PostAsync("order.refund_requested", new { orderId = "1001" });
        Assert.Equal(OrderStage.Refund, await StageAsync(shop));
        await shop.PostAsync("order.refunded", new { orderId = "1001" });
        Assert.Equal(OrderStage.None, await StageAsync(shop));
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task OneNewEventDeliveredFourTimesAtOnce_IsAppliedOnce_AndTheOthersAnswerDuplicate(StoreProvider store)
    {
        await using var shop = await ShopOrders.StartAsync(Ten, store: store);
        var data = ShopOrders.Created("1001", Ten);
        var answers = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => shop.PostAsync("order.created", data, eventId: "msg_race")));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        var bodies = await Task.WhenAll(answers.Select(a => a.Content.ReadFromJsonAsync<JsonElement>()));
        Assert.Single(bodies, b => !b.GetProperty("duplicate").GetBoolean());
        Assert.Single(bodies.Select(b => b.GetProperty("id").GetGuid()).Distinct());

        await using var db = shop.Host.CreateDbContext();
        Assert.Equal(1, await db.OrderEvents.CountAsync());
        Assert.Equal(1, await db.Orders.CountAsync());
        Assert.Equal(1, await db.Contacts.CountAsync());
        Assert.Equal(4, await db.FollowUps.CountAsync()); // planned once: confirmation x2, reminders x2
    }

    [Theory]
    [InlineData(StoreProvider.Sqlite)]
    [InlineData(StoreProvider.PostgreSql)]
    public async Task TwoOrdersOfOneNewBuyerAtOnce_LandOnOneContact(StoreProvider store)
    {
        await using var shop = await ShopOrders.StartAsync(Ten, store: store);
        object Order(string id) => new
        {
            orderId = id, createdAt = Ten.ToString("yyyy-MM-dd'T'HH:mm:sszzz", CultureInfo.InvariantCulture),
            buyer = new { phone = Buyer, email = "Li.Lei@Example.com", name = "李雷" }, amount = "10.00", currency = "CNY",
        };
        var answers = await Task.WhenAll(
            shop.PostAsync("order.created", Order("1001")), shop.PostAsync("order.created", Order("1002")), shop.PostAsync("order.created", Order("1003")));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));

        await using var db = shop.Host.CreateDbContext();
        var contact = await db.Contacts.SingleAsync();
        Assert.Equal((Buyer, "li.lei@example.com", OrderStage.Unpaid), (contact.Phone, contact.Email, contact.OrderStage));
        Assert.Equal(3, await db.Orders.CountAsync(o => o.ContactId == contact.Id));
    }

    [Theory]
    // Bad inputs tried (each after facts that rule it out): shipped and delivered after a cancellation, cancelled after
    // shipping, shipped after a refund (no time given: now, after the refund), delivered with a time after the refund.
    [InlineData("order.cancelled", "order.shipped", null, "is cancelled; it cannot be shipped")]
    [InlineData("order.cancelled", "order.delivered", null, "is cancelled; it cannot be delivered")]
    [InlineData("order.shipped", "order.cancelled", null, "was shipped; it cannot be cancelled")]
    [InlineData("order.refunded", "order.shipped", null, "was refunded; it cannot be shipped")]
    [InlineData("order.refunded", "order.delivered", "2026-12-07T10:30:00+08:00", "was refunded; it cannot be delivered")]
    public async Task AFactTheOrdersFactsRuleOut_IsRefusedNamingType_AndTheOrderStaysAsItWas(string before, string refused, string? occurredAt, string reason)
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync(before, new { orderId = "1001" })).StatusCode);
        await using var db = shop.Host.CreateDbContext();
        var was = await db.Orders.AsNoTracking().SingleAsync();
        var events = await db.OrderEvents.CountAsync();
        shop.Clock.Advance(TimeSpan.FromMinutes(20));

        var answer = await shop.PostAsync(refused, occurredAt is null ? new { orderId = "1001" } : new { orderId = "1001", occurredAt });
        Assert.Equal(HttpStatusCode.UnprocessableEntity, answer.StatusCode);
        var error = await answer.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("type", error.GetProperty("field").GetString());
        Assert.Contains($"order 1001 {reason}", error.GetProperty("error").GetString(), StringComparison.Ordinal);

        var now = await db.Orders.AsNoTracking().SingleAsync();
        Assert.Equal(
            (was.State, was.ShippedAt, was.DeliveredAt, was.CancelledAt, was.UpdatedAt),
            (now.State, now.ShippedAt, now.DeliveredAt, now.CancelledAt, now.UpdatedAt));
        Assert.Equal(events, await db.OrderEvents.CountAsync());
    }

    [Fact]
    public async Task AShippingThatHappenedBeforeTheRefund_ArrivingLate_IsAccepted()
    {
        // The refund rule must not refuse a return's late facts: shipped 10:05, refunded 10:20, the shipped event comes last.
        await using var shop = await ShopOrders.StartAsync(Ten);
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        shop.Clock.Advance(TimeSpan.FromMinutes(20));
        await shop.PostAsync("order.refunded", new { orderId = "1001" });
        var late = await shop.PostAsync("order.shipped", new { orderId = "1001", occurredAt = "2026-12-07T10:05:00+08:00", trackingNumber = "SF9" });
        Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        Assert.Equal("refunded", (await late.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("state").GetString());
        await using var db = shop.Host.CreateDbContext();
        Assert.Equal("SF9", (await db.Orders.SingleAsync()).TrackingNumber);
    }

    [Fact]
    public async Task TheBuyersPhone_JoinsTheSmsCustomersContact_AndTheirNextConversationRoutesByTheNewStage()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await using var bob = await shop.Host.SignInAsync("bob");
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(Sms("SM-1", Buyer, "你好"))).StatusCode);
        var first = await bob.NextAssignedAsync();
        Assert.Equal(("pre-sale", "none"), (first.Skill, first.OrderStage));
        await bob.CloseAsync(first.Id);

        // The SQLite inbound writer cached this contact with no order; the order event's commit must reach it.
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten, phone: "+86 138 0013 8000"));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await using (var db = shop.Host.CreateDbContext())
        {
            var contact = await db.Contacts.SingleAsync();
            Assert.Equal(contact.Id, (await db.Orders.SingleAsync()).ContactId);
            Assert.Equal("李雷", contact.DisplayName);
        }

        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(Sms("SM-2", Buyer, "你好"))).StatusCode);
        var second = await bob.NextAssignedAsync();
        Assert.NotEqual(first.Id, second.Id);
        Assert.Equal(("after-sale", "bought"), (second.Skill, second.OrderStage));
        Assert.Contains("paid order", second.RoutingReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TheBuyersEmail_JoinsTheContactWithThatEmail_WhichGainsThePhone()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await shop.PostAsync("order.created", new { orderId = "1001", buyer = new { email = "li.lei@example.com", name = "李雷" } });
        await shop.PostAsync("order.created", new { orderId = "1002", buyer = new { email = "LI.LEI@example.com", phone = Buyer } });
        await using var db = shop.Host.CreateDbContext();
        var contact = await db.Contacts.SingleAsync();
        Assert.Equal(("li.lei@example.com", Buyer), (contact.Email, contact.Phone));
        Assert.Equal(2, await db.Orders.CountAsync(o => o.ContactId == contact.Id));
    }

    [Fact]
    public async Task TheBuyersChannelIdentity_JoinsThatCustomersContact_WithoutAPhoneOrEmail()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(Sms("SM-1", "+8613900139000", "在吗"))).StatusCode);
        await using (var db = shop.Host.CreateDbContext())
        {
            await WaitAsync(() => db.ChannelIdentities.AnyAsync());
        }

        var answer = await shop.PostAsync("order.created", new { orderId = "1001", buyer = new { channel = "sms-main", externalId = "+8613900139000" } });
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        await using var check = shop.Host.CreateDbContext();
        var contact = await check.Contacts.SingleAsync();
        Assert.Equal((contact.Id, OrderStage.Unpaid), ((await check.Orders.SingleAsync()).ContactId, contact.OrderStage));
        Assert.Equal(1, await check.ChannelIdentities.CountAsync());
    }

    [Theory]
    // The stage is the default when no keyword rule matches; the rules still win (parcel -> logistics, complaint -> complaints).
    [InlineData(null, "你好", "bob", "pre-sale", "none")]
    [InlineData("order.created", "你好", "bob", "pre-sale", "unpaid")]
    [InlineData("order.paid", "hello", "bob", "after-sale", "bought")]
    [InlineData("order.refund_requested", "你好", "bob", "after-sale", "refund")]
    [InlineData("order.paid", "where is my parcel?", "carol", "logistics", "bought")]
    [InlineData("order.refund_requested", "我要投诉，太慢了", "bob", "complaints", "refund")]
    public async Task AnSmsCustomersConversation_RoutesByTheirOrderStage_UnlessAKeywordRuleMatches(
        string? lastEvent, string text, string agent, string skill, string stage)
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        if (lastEvent is not null)
        {
            await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten));
            if (lastEvent != "order.created")
            {
                await shop.PostAsync("order.paid", new { orderId = "1001" });
            }

            if (lastEvent == "order.refund_requested")
            {
                await shop.PostAsync(lastEvent, new { orderId = "1001" });
            }
        }

        await using var session = await shop.Host.SignInAsync(agent);
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(Sms("SM-1", Buyer, text))).StatusCode);
        var conversation = await session.NextAssignedAsync();
        Assert.Equal((skill, stage), (conversation.Skill, conversation.OrderStage));
    }

    [Fact]
    public async Task TheShopsOwnOrderSkills_AreUsed()
    {
        await using var shop = await ShopOrders.StartAsync(Ten, new Dictionary<string, string?> { ["Routing:OrderSkills:Bought"] = "complaints" });
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await using var bob = await shop.Host.SignInAsync("bob");
        await shop.Http.SendAsync(Sms("SM-1", Buyer, "你好"));
        Assert.Equal("complaints", (await bob.NextAssignedAsync()).Skill);
    }

    [Fact]
    public void Start_OrderSkillsNamingAnUnknownStageOrQueue_FailsNamingTheKey()
    {
        // Bad inputs tried: a stage that does not exist (Shipped is a state, not a stage), a skill nobody has.
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?>
        {
            ["Routing:OrderSkills:Shipped"] = "logistics",
            ["Routing:OrderSkills:Bought"] = "bargaining",
        });
        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());
        var message = (ex as Microsoft.Extensions.Options.OptionsValidationException
            ?? ex.InnerException as Microsoft.Extensions.Options.OptionsValidationException ?? throw ex).Message;
        Assert.Contains("Routing:OrderSkills:Shipped is not an order stage", message, StringComparison.Ordinal);
        Assert.Contains("Routing:OrderSkills:Bought 'bargaining' is not a queue", message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OrderApi_AnswersTheAgreedShape_WithEveryTimeInTheShopsOffset_ByShopIdOrGatewayId()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        // Placed at 02:00 UTC: the API says 10:00+08:00, not the UTC the shop sent.
        await shop.PostAsync("order.created", new
        {
            orderId = "1001", createdAt = "2026-12-07T02:00:00Z", buyer = new { phone = Buyer, email = "li.lei@example.com", name = "李雷" },
            items = new[] { new { title = "羊毛围巾", quantity = 2, price = "99.50" } }, amount = "199.00", currency = "cny",
        });
        shop.Clock.Advance(TimeSpan.FromMinutes(5));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await shop.PostAsync("order.shipped", new { orderId = "1001", carrier = "顺丰速运", trackingNumber = "SF1", occurredAt = "2026-12-07T03:00:00Z" });

        await using var alice = await shop.Host.SignInAsync("alice");
        var order = await shop.GetOrderAsync(alice, "1001");
        Assert.Equal("1001", order.GetProperty("orderId").GetString());
        Assert.Equal("orders", order.GetProperty("source").GetString());
        Assert.Equal("shipped", order.GetProperty("state").GetString());
        Assert.Equal((199.00m, "CNY"), (order.GetProperty("amount").GetDecimal(), order.GetProperty("currency").GetString()));
        var item = order.GetProperty("items")[0];
        Assert.Equal(("羊毛围巾", 2, 99.50m), (item.GetProperty("title").GetString(), item.GetProperty("quantity").GetInt32(), item.GetProperty("price").GetDecimal()));
        var buyer = order.GetProperty("buyer");
        Assert.Equal(("李雷", Buyer, "li.lei@example.com"), (buyer.GetProperty("name").GetString(), buyer.GetProperty("phone").GetString(), buyer.GetProperty("email").GetString()));
        Assert.Equal(("顺丰速运", "SF1"), (order.GetProperty("carrier").GetString(), order.GetProperty("trackingNumber").GetString()));
        Assert.Equal("2026-12-07T10:00:00+08:00", order.GetProperty("placedAt").GetString());
        Assert.Equal("2026-12-07T10:05:00+08:00", order.GetProperty("paidAt").GetString());
        Assert.Equal("2026-12-07T11:00:00+08:00", order.GetProperty("shippedAt").GetString());
        foreach (var open in new[] { "deliveredAt", "refundRequestedAt", "refundedAt", "cancelledAt" })
        {
            Assert.Equal(JsonValueKind.Null, order.GetProperty(open).ValueKind);
        }

        var followUps = order.GetProperty("followUps").EnumerateArray().ToList();
        Assert.NotEmpty(followUps);
        Assert.All(followUps, f => Assert.EndsWith("+08:00", f.GetProperty("dueAt").GetString(), StringComparison.Ordinal));
        Assert.All(followUps, f => Assert.Equal("1001", f.GetProperty("orderId").GetString()));
        var dues = followUps.Select(f => f.GetProperty("dueAt").GetDateTimeOffset()).ToList();
        Assert.Equal(dues.Order(), dues);

        var byGatewayId = await shop.GetOrderAsync(alice, order.GetProperty("id").GetString()!);
        Assert.Equal("1001", byGatewayId.GetProperty("orderId").GetString());
        // Bad inputs tried: an unknown shop id, an unknown Guid, an id over 100 characters, no sign-in.
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.GetAsync($"/api/orders/{Guid.NewGuid()}")).StatusCode);
        var tooLong = await alice.Http.GetAsync("/api/orders/" + new string('9', 101));
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("orderId", (await tooLong.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, (await shop.Http.GetAsync($"/api/contacts/{order.GetProperty("contactId").GetGuid()}/orders")).StatusCode);
    }

    [Fact]
    public async Task AShopOrderIdTwoSourcesShare_AnswersTheNewestOrder_AndTheGatewaysIdPicksEither()
    {
        await using var shop = await ShopOrders.StartAsync(Ten, secondShop: true);
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten));
        shop.Clock.Advance(TimeSpan.FromMinutes(1));
        var other = await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten.AddMinutes(1), phone: "+8613900139000", name: "韩梅梅"), instance: "orders2");
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        await using var alice = await shop.Host.SignInAsync("alice");
        var newest = await shop.GetOrderAsync(alice, "1001");
        Assert.Equal(("orders2", "韩梅梅"), (newest.GetProperty("source").GetString(), newest.GetProperty("buyer").GetProperty("name").GetString()));

        await using var db = shop.Host.CreateDbContext();
        var first = await db.Orders.SingleAsync(o => o.SourceInstanceId == "orders");
        var byId = await shop.GetOrderAsync(alice, first.Id.ToString());
        Assert.Equal(("orders", "李雷"), (byId.GetProperty("source").GetString(), byId.GetProperty("buyer").GetProperty("name").GetString()));
        Assert.Equal(2, await db.Contacts.CountAsync());
    }

    [Fact]
    public async Task AContactsOrders_AreListedNewestFirst_WithThoseOfAContactMergedIntoThem()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await shop.PostAsync("order.created", ShopOrders.Created("1001", Ten));
        await shop.PostAsync("order.created", ShopOrders.Created("1002", Ten.AddHours(2)));
        // The same person, known to the shop by email only on another order: a second contact until a supervisor merges.
        await shop.PostAsync("order.created", new { orderId = "1003", createdAt = "2026-12-07T11:00:00+08:00", buyer = new { email = "li.lei@example.com" } });
        await using var db = shop.Host.CreateDbContext();
        var kept = await db.Contacts.SingleAsync(c => c.Phone == Buyer);
        var other = await db.Contacts.SingleAsync(c => c.Email == "li.lei@example.com");

        await using var alice = await shop.Host.SignInAsync("alice");
        async Task<List<string?>> ListAsync(Guid id) =>
            [.. (await alice.Http.GetFromJsonAsync<JsonElement>($"/api/contacts/{id}/orders")).EnumerateArray().Select(o => o.GetProperty("orderId").GetString())];
        Assert.Equal(["1002", "1001"], await ListAsync(kept.Id));

        var merged = await alice.Http.PostAsJsonAsync($"/api/contacts/{other.Id}/merge", new { into = kept.Id });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        Assert.Equal(["1002", "1003", "1001"], await ListAsync(kept.Id));
        var followUps = await alice.Http.GetFromJsonAsync<JsonElement>($"/api/contacts/{kept.Id}/follow-ups");
        Assert.Contains(followUps.GetProperty("upcoming").EnumerateArray(), f => f.GetProperty("orderId").GetString() == "1003");
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.GetAsync($"/api/contacts/{Guid.NewGuid()}/orders")).StatusCode);
    }

    [Fact]
    public async Task MergingTheSmsCustomerWithTheBuyerKnownByEmail_RoutesTheirNextConversationByThatOrder_AndUndoTakesItBack()
    {
        await using var shop = await ShopOrders.StartAsync(Ten);
        await using var bob = await shop.Host.SignInAsync("bob");
        await shop.Http.SendAsync(Sms("SM-1", Buyer, "你好"));
        var first = await bob.NextAssignedAsync();
        Assert.Equal("pre-sale", first.Skill);
        await bob.CloseAsync(first.Id);
        await shop.PostAsync("order.created", new { orderId = "1001", buyer = new { email = "li.lei@example.com" } });
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await using var db = shop.Host.CreateDbContext();
        var sms = await db.Contacts.AsNoTracking().SingleAsync(c => c.Phone == Buyer);
        var buyer = await db.Contacts.AsNoTracking().SingleAsync(c => c.Email == "li.lei@example.com");
        Assert.Equal((OrderStage.None, OrderStage.Bought), (sms.OrderStage, buyer.OrderStage));

        await using var alice = await shop.Host.SignInAsync("alice");
        var merged = await alice.Http.PostAsJsonAsync($"/api/contacts/{buyer.Id}/merge", new { into = sms.Id });
        Assert.Equal(HttpStatusCode.OK, merged.StatusCode);
        Assert.Equal(OrderStage.Bought, (await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == sms.Id)).OrderStage);
        await shop.Http.SendAsync(Sms("SM-2", Buyer, "你好"));
        var second = await bob.NextAssignedAsync();
        Assert.Equal(("after-sale", "bought"), (second.Skill, second.OrderStage));

        var mergeId = (await merged.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetGuid();
        Assert.Equal(HttpStatusCode.OK, (await alice.Http.PostAsync($"/api/contact-merges/{mergeId}/undo", null)).StatusCode);
        Assert.Equal(OrderStage.None, (await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == sms.Id)).OrderStage);
        Assert.Equal(OrderStage.Bought, (await db.Contacts.AsNoTracking().SingleAsync(c => c.Id == buyer.Id)).OrderStage);
    }

    private static async Task<OrderStage> StageAsync(ShopOrders shop)
    {
        await using var db = shop.Host.CreateDbContext();
        return (await db.Contacts.SingleAsync()).OrderStage;
    }

    private static async Task WaitAsync(Func<Task<bool>> condition)
    {
        // Waits for the inbound writer's commit (a background batch), not for a timing rule.
        var until = DateTime.UtcNow.AddSeconds(15);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out waiting for the inbound writer");
            await Task.Delay(50);
        }
    }

    private static HttpRequestMessage Sms(string sid, string from, string body) =>
        TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, ShopOrders.PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = from, ["To"] = "+15005550006",
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "CN",
        });
}

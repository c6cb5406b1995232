using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>Follow-ups go out once, on time, on a channel that reaches the buyer, and only while still right. Time is a fake clock.</summary>
public sealed class FollowUpFiringTests
{
    private const string Buyer = "+8613800138000";

    [Fact]
    public async Task PaymentReminder_GoesOutBySmsOnce_InChinese_WithTheProductAndTheCutoff_EvenWhenFiredThreeTimesAtOnce()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        var reminder = (await shop.FollowUpsAsync("1001")).Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1);
        shop.Clock.SetUtcNow(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        var firer = shop.Host.Services.GetRequiredService<IFollowUpFirer>();
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => firer.FireAsync(reminder.Id, CancellationToken.None)));
        await using (var check = shop.Host.CreateDbContext())
        {
            var row = await check.FollowUps.AsNoTracking().SingleAsync(f => f.Id == reminder.Id);
            Assert.True(outcomes.Count(o => o?.Status == FollowUpStatus.Sent) == 1, $"outcomes {string.Join(" | ", outcomes.Select(o => o?.ToString() ?? "null"))}; row {row.Status} {row.Reason} {row.DueAt:o}");
        }

        var sms = await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        Assert.Equal(Buyer, sms.To);
        Assert.Contains("羊毛围巾", sms.Body, StringComparison.Ordinal);
        Assert.Contains("16:00", sms.Body, StringComparison.Ordinal);
        Assert.Contains("李雷", sms.Body, StringComparison.Ordinal);
        await Task.Delay(500);
        Assert.Single(shop.Twilio.Requests, r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true);

        await using var db = shop.Host.CreateDbContext();
        var sent = await db.FollowUps.SingleAsync(f => f.Id == reminder.Id);
        Assert.Equal((FollowUpStatus.Sent, "sms-main"), (sent.Status, sent.Channel));
        Assert.Equal(1, await db.Messages.CountAsync(m => m.Id == reminder.Id));
        var conversation = await db.Conversations.SingleAsync(c => c.Id == sent.ConversationId);
        Assert.Equal(ConversationStatus.Pending, conversation.Status);
    }

    [Fact]
    public async Task TheBuyersAnswer_LandsInTheFollowUpsConversation_AndRoutesByTheUnpaidOrderToPreSale()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        await using var db = shop.Host.CreateDbContext();
        var started = (await db.FollowUps.AsNoTracking().FirstAsync(f => f.Kind == FollowUpKinds.PaymentReminder && f.Status == FollowUpStatus.Sent)).ConversationId;

        await using var bob = await shop.Host.SignInAsync("bob");
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(InboundSms("SM-answer-1", "好的，怎么付款？"))).StatusCode);
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal(started, assigned.Id);
        Assert.Equal("pre-sale", assigned.Skill);
    }

    [Fact]
    public async Task ABuyerWithAPaidOrder_WhoWritesHello_GoesToAfterSale_AndAskingForTheParcel_ToLogistics()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await using var bob = await shop.Host.SignInAsync("bob");
        await shop.Http.SendAsync(InboundSms("SM-hello-1", "你好"));
        var conversation = await bob.NextAssignedAsync();
        Assert.Equal("after-sale", conversation.Skill);
        Assert.Contains("paid order", conversation.RoutingReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AtMostOnePaymentReminderPerBuyerPerDay_AcrossTheirOrders()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.PostAsync("order.created", ShopOrders.Created("1002", ShopOrders.ShopTime(2026, 12, 7, 10, 20)));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        await using var db = shop.Host.CreateDbContext();
        var firstReminders = await db.FollowUps.AsNoTracking().Where(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1).ToListAsync();
        Assert.Single(firstReminders, f => f.Status == FollowUpStatus.Sent);
        var capped = Assert.Single(firstReminders, f => f.Status == FollowUpStatus.Skipped);
        Assert.StartsWith("cap: a payment reminder went to this buyer", capped.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AfterDowntime_AStaleReminderIsSkippedWithTheReason_AndAConfirmationInQuietHoursWaitsForTheMorning()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        // The gateway was down from 10:00 to 22:00: the 11:00 reminder is stale; the confirmation would land in quiet hours.
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 22, 0));
        var rows = await shop.FollowUpsAsync("1001");
        var reminder = rows.Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1);
        Assert.Equal(FollowUpStatus.Skipped, reminder.Status);
        Assert.StartsWith("stale: due 2026-12-07 11:00 shop time", reminder.Reason, StringComparison.Ordinal);
        var confirmation = rows.Single(f => f.Kind == FollowUpKinds.OrderConfirmation && f.Step == 1);
        Assert.Equal(FollowUpStatus.Planned, confirmation.Status);
        Assert.Equal(ShopOrders.ShopTime(2026, 12, 8, 9, 0), confirmation.DueAt);
        Assert.Empty(shop.Twilio.Requests);
    }

    [Fact]
    public async Task MarketingOptOut_SkipsTheReviewRequest_ButTheShippingNoticeGoes_AndOptingOutOfAllSkipsEverything()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 1));
        await using (var db = shop.Host.CreateDbContext())
        {
            await db.Contacts.ExecuteUpdateAsync(s => s.SetProperty(c => c.MarketingOptOutAt, shop.Clock.GetUtcNow()));
        }

        await shop.PostAsync("order.shipped", new { orderId = "1001", carrier = "顺丰速运", trackingNumber = "SF1234567890" });
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 12, 0));
        var shipped = await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("SF1234567890", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        Assert.Contains("顺丰速运", shipped.Body, StringComparison.Ordinal);

        shop.Clock.SetUtcNow(ShopOrders.ShopTime(2026, 12, 8, 10, 0));
        await shop.PostAsync("order.delivered", new { orderId = "1001" });
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 8, 14, 0));
        await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("货物收到了吗", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 11, 10, 30));
        var rows = await shop.FollowUpsAsync("1001");
        var review = rows.Single(f => f.Kind == FollowUpKinds.ReviewRequest);
        Assert.Equal((FollowUpStatus.Skipped, "the buyer declined marketing"), (review.Status, review.Reason));
        Assert.Equal(FollowUpStatus.Sent, rows.Single(f => f.Kind == FollowUpKinds.DeliveryCheckIn).Status);

        await using (var db = shop.Host.CreateDbContext())
        {
            await db.Contacts.ExecuteUpdateAsync(s => s.SetProperty(c => c.OptOutAllAt, shop.Clock.GetUtcNow()));
        }

        await shop.PostAsync("order.created", ShopOrders.Created("1002", ShopOrders.ShopTime(2026, 12, 11, 10, 30)));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 11, 11, 0));
        Assert.All((await shop.FollowUpsAsync("1002")).Where(f => f.Status != FollowUpStatus.Planned),
            f => Assert.Equal((FollowUpStatus.Skipped, "the buyer declined all messages from the shop"), (f.Status, f.Reason)));
    }

    [Fact]
    public async Task ABuyerWhoStoppedSms_AndHasNoOtherChannel_IsSkippedWithTheReason()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.Http.SendAsync(InboundSms("SM-first-1", "在吗"));
        await using (var db = shop.Host.CreateDbContext())
        {
            await db.ChannelIdentities.ExecuteUpdateAsync(s => s.SetProperty(i => i.OptedOutAt, shop.Clock.GetUtcNow()));
        }

        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 0));
        var reminder = (await shop.FollowUpsAsync("1001")).Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1);
        Assert.Equal(FollowUpStatus.Skipped, reminder.Status);
        Assert.Contains("sms-main opted out", reminder.Reason, StringComparison.Ordinal);
    }

    [Theory]
    // Clocks go forward at 02:00 on 2026-03-08 and back at 02:00 on 2026-11-01 in New York.
    [InlineData("2026-03-07T17:00:00-05:00", "2026-03-08T13:00:00Z", "2026-03-09T13:00:00Z")]
    [InlineData("2026-10-31T17:00:00-04:00", "2026-11-01T14:00:00Z", "2026-11-02T14:00:00Z")]
    [InlineData("2026-03-08T10:30:00-04:00", "2026-03-08T15:00:00Z", "2026-03-09T15:00:00Z")]
    public async Task RemindersKeepTheShopsWallClock_AcrossDaylightSavingChanges(string placed, string first, string second)
    {
        var at = DateTimeOffset.Parse(placed, CultureInfo.InvariantCulture);
        await using var shop = await ShopOrders.StartAsync(at, new Dictionary<string, string?> { ["BusinessHours:TimeZone"] = "America/New_York" });
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.created", ShopOrders.Created("3001", at))).StatusCode);
        var reminders = (await shop.FollowUpsAsync("3001")).Where(f => f.Kind == FollowUpKinds.PaymentReminder).OrderBy(f => f.Step).ToList();
        Assert.Equal(DateTimeOffset.Parse(first, CultureInfo.InvariantCulture), reminders[0].DueAt);
        Assert.Equal(DateTimeOffset.Parse(second, CultureInfo.InvariantCulture), reminders[1].DueAt);
    }

    [Fact]
    public async Task ClosingAConversation_PlansItsSurvey_WhichAsksForARatingOnTheCustomersChannel()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await using var bob = await shop.Host.SignInAsync("bob");
        await shop.Http.SendAsync(InboundSms("SM-survey-1", "你好，请问有红色的吗？"));
        var conversation = await bob.NextAssignedAsync();
        await bob.ReplyAsync(conversation.Id, "有的，您要什么尺码？");
        await bob.CloseAsync(conversation.Id);
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 5));
        var survey = await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("回复1-5", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        Assert.Equal(Buyer, survey.To);
        await using var db = shop.Host.CreateDbContext();
        var row = await db.FollowUps.SingleAsync(f => f.Kind == FollowUpKinds.Survey);
        Assert.Equal((FollowUpStatus.Sent, conversation.Id), (row.Status, row.ConversationId));
        Assert.Equal(ConversationStatus.Pending, (await db.Conversations.SingleAsync(c => c.Id == conversation.Id)).Status);
    }

    [Fact]
    public async Task AgentsCancelOrMoveAPlannedFollowUp_ButNotOneThatWentOut()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0)));
        await using var alice = await shop.Host.SignInAsync("alice");
        var rows = await shop.FollowUpsAsync("1001");
        var first = rows.Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1);
        var second = rows.Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 2);

        var moved = await alice.Http.PostAsJsonAsync($"/api/follow-ups/{first.Id}/move", new { dueAt = "2026-12-07T15:00:00+08:00" });
        Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        Assert.Equal("2026-12-07T15:00:00+08:00", (await moved.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("dueAt").GetString());
        var cancelled = await alice.Http.PostAsJsonAsync($"/api/follow-ups/{second.Id}/cancel", new { reason = "buyer said they pay tonight" });
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);

        // Bad inputs tried: a time without offset, a past time, no body, a cancelled one moved, an unknown id.
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsJsonAsync($"/api/follow-ups/{first.Id}/move", new { dueAt = "2026-12-07T15:00:00" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsJsonAsync($"/api/follow-ups/{first.Id}/move", new { dueAt = "2026-12-06T15:00:00+08:00" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PostAsync($"/api/follow-ups/{first.Id}/move", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await alice.Http.PostAsJsonAsync($"/api/follow-ups/{second.Id}/move", new { dueAt = "2026-12-08T15:00:00+08:00" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await alice.Http.PostAsync($"/api/follow-ups/{Guid.NewGuid()}/cancel", null)).StatusCode);

        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 11, 30));
        Assert.DoesNotContain(shop.Twilio.Requests, r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true);
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 15, 0));
        await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        var list = await alice.Http.GetFromJsonAsync<System.Text.Json.JsonElement>($"/api/contacts/{first.ContactId}/follow-ups");
        Assert.Contains(list.GetProperty("past").EnumerateArray(), f => f.GetProperty("status").GetString() == "cancelled" && f.GetProperty("reason").GetString() == "buyer said they pay tonight");
        Assert.Equal(HttpStatusCode.Conflict, (await alice.Http.PostAsync($"/api/follow-ups/{first.Id}/cancel", null)).StatusCode);
    }

    [Fact]
    public async Task GreetingsOfTheDay_GoToContactsWhoAcceptMarketing_OnceHoweverOftenPlanned()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2027, 1, 1, 0, 5));
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 31, 20, 0)));
        await shop.PostAsync("order.created", ShopOrders.Created("1002", ShopOrders.ShopTime(2026, 12, 31, 20, 0), phone: "+8613900000001", name: "韩梅梅"));
        await using (var db = shop.Host.CreateDbContext())
        {
            await db.Contacts.Where(c => c.Phone == "+8613900000001").ExecuteUpdateAsync(u => u.SetProperty(c => c.MarketingOptOutAt, shop.Clock.GetUtcNow()));
        }

        var planner = shop.Host.Services.GetRequiredService<IFollowUpPlanner>();
        var first = await planner.PlanGreetingsAsync(new DateOnly(2027, 1, 1), CancellationToken.None);
        var again = await planner.PlanGreetingsAsync(new DateOnly(2027, 1, 1), CancellationToken.None);
        Assert.Single(first);
        Assert.Empty(again);
        Assert.Empty(await planner.PlanGreetingsAsync(new DateOnly(2027, 1, 2), CancellationToken.None));

        await shop.FireDueAsync(ShopOrders.ShopTime(2027, 1, 1, 10, 0));
        var greeting = await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("新年快乐", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(15));
        Assert.Equal(Buyer, greeting.To);
        Assert.DoesNotContain(shop.Twilio.Requests, r => r.To == "+8613900000001" && r.Body!.Contains("新年快乐", StringComparison.Ordinal));
    }

    internal static HttpRequestMessage InboundSms(string sid, string body) =>
        TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, ShopOrders.PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>
        {
            ["MessageSid"] = sid, ["SmsSid"] = sid, ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Buyer, ["To"] = "+15005550006",
            ["Body"] = body, ["NumMedia"] = "0", ["NumSegments"] = "1", ["FromCountry"] = "CN",
        });
}

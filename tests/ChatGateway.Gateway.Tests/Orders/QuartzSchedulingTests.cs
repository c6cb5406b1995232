using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Orders;

/// <summary>
/// Quartz fires the follow-ups on the real clock, from its job store in the store's database: once, and after a restart.
/// These are the only follow-up tests that wait for real time (a few seconds, for the scheduler itself).
/// </summary>
public sealed class QuartzSchedulingTests
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["BusinessHours:TimeZone"] = "UTC",
        // No quiet hours: whatever the hour this test runs at, the follow-up may go.
        ["FollowUps:QuietHours"] = "00:00-00:00",
        ["Scheduler:IdleWait"] = "00:00:01",
    };

    [Fact]
    public async Task AConfirmationDueNow_IsFiredByTheScheduler_AndSentOnce()
    {
        await using var shop = await ShopOrders.StartAsync(null, Settings);
        var placed = DateTimeOffset.UtcNow;
        Assert.Equal(HttpStatusCode.OK, (await shop.PostAsync("order.created", ShopOrders.Created("5001", placed))).StatusCode);
        var sms = await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("订单5001已收到", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30));
        Assert.Equal("+8613800138000", sms.To);
        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.Single(shop.Twilio.Requests, r => r.Body?.Contains("订单5001已收到", StringComparison.Ordinal) == true);
        var confirmation = (await shop.FollowUpsAsync("5001")).Single(f => f.Kind == FollowUpKinds.OrderConfirmation && f.Step == 1);
        Assert.Equal(FollowUpStatus.Sent, confirmation.Status);
    }

    [Fact]
    public async Task AFollowUpPlannedBeforeARestart_FiresOnceAfterIt()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        var data = Path.Combine(Path.GetTempPath(), "cg-quartz-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(data);
        Guid reminderId;
        var first = await ShopOrders.StartAsync(null, Settings, data, twilio);
        try
        {
            await first.PostAsync("order.created", ShopOrders.Created("5002", DateTimeOffset.UtcNow));
            await using var alice = await first.Host.SignInAsync("alice");
            var reminder = (await first.FollowUpsAsync("5002")).Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1);
            reminderId = reminder.Id;
            var due = DateTimeOffset.UtcNow.AddSeconds(8);
            var moved = await alice.Http.PostAsJsonAsync($"/api/follow-ups/{reminder.Id}/move", new { dueAt = due.ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", System.Globalization.CultureInfo.InvariantCulture) });
            Assert.Equal(HttpStatusCode.OK, moved.StatusCode);
        }
        finally
        {
            await first.StopGatewayAsync();
        }

        await using var second = await ShopOrders.StartAsync(null, Settings, data, twilio);
        await twilio.WaitForRequestAsync(r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(40));
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Single(twilio.Requests, r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true);
        await using var db = second.Host.CreateDbContext();
        Assert.Equal(FollowUpStatus.Sent, (await db.FollowUps.SingleAsync(f => f.Id == reminderId)).Status);
    }

    [Fact]
    public async Task APlannedFollowUpThatNeverGotItsTrigger_IsScheduledByTheReconciliation_AndFires()
    {
        await using var shop = await ShopOrders.StartAsync(null, Settings);
        await shop.PostAsync("order.created", ShopOrders.Created("5003", DateTimeOffset.UtcNow.AddHours(30)));
        // As if the process had stopped between committing a follow-up and scheduling it: a planned row, no trigger.
        var reminder = (await shop.FollowUpsAsync("5003")).Single(f => f.Kind == FollowUpKinds.PaymentReminder && f.Step == 1);
        var scheduler = await shop.Host.Services.GetRequiredService<Quartz.ISchedulerFactory>().GetScheduler();
        await scheduler.UnscheduleJob(Gateway.FollowUps.Scheduling.QuartzFollowUpScheduler.KeyOf(Gateway.FollowUps.Scheduling.QuartzFollowUpScheduler.SecondOf(reminder.DueAt)));
        await using (var db = shop.Host.CreateDbContext())
        {
            await db.FollowUps.Where(f => f.Id == reminder.Id).ExecuteUpdateAsync(u => u.SetProperty(f => f.DueAt, DateTimeOffset.UtcNow));
        }

        await Task.Delay(TimeSpan.FromSeconds(3));
        Assert.DoesNotContain(shop.Twilio.Requests, r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true);
        await scheduler.TriggerJob(Gateway.FollowUps.Scheduling.ReconcileFollowUpsJob.Key);
        await shop.Twilio.WaitForRequestAsync(r => r.Body?.Contains("还没有付款", StringComparison.Ordinal) == true, TimeSpan.FromSeconds(30));
    }
}

using System.Net;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Orders;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.FollowUps.Customer;

/// <summary>SMS opt-out keywords through the real host and a Twilio-compatible server: the choice lands in the store, the message is still kept.</summary>
public sealed class SmsOptOutTests
{
    // Bad inputs tried: keywords in other cases and with spaces around, "stop" inside a sentence, "STOP." with a dot,
    // HELP, OptOutType overriding the body both ways.
    [Fact]
    public async Task OptOutKeywords_RecordTheCustomersChoice_AndAnOrdinarySentenceWithStopDoesNot()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await CustomerKit.StartWithSmsAsync(twilio);
        var cases = new (string Body, Dictionary<string, string>? Extra, string Expected)[]
        {
            ("STOP", null, "channel"),
            ("  stop \n", null, "channel"),
            ("StopAll", null, "channel"),
            ("unsubscribe", null, "channel"),
            ("Cancel", null, "channel"),
            ("END", null, "channel"),
            ("quit", null, "channel"),
            ("退订", null, "marketing"),
            (" td ", null, "marketing"),
            ("T", null, "marketing"),
            ("n", null, "marketing"),
            ("please stop texting me at night", null, "nothing"),
            ("STOP.", null, "nothing"),
            ("不要退订", null, "nothing"),
            ("HELP", null, "nothing"),
            ("no more please", new() { ["OptOutType"] = "STOP" }, "channel"),
            ("STOP", new() { ["OptOutType"] = "HELP" }, "nothing"),
        };

        for (var i = 0; i < cases.Length; i++)
        {
            var (body, extra, expected) = cases[i];
            var phone = $"+86138001380{i:00}";
            await CustomerKit.TextAsync(host, phone, $"SM-kw-{i}", body, extra);

            await using var db = host.CreateDbContext();
            var identity = await db.ChannelIdentities.Include(x => x.Contact).AsNoTracking().SingleAsync(x => x.InstanceId == "sms-main" && x.ExternalId == phone);
            // The message is stored like any other: the agent sees the STOP.
            Assert.True(await db.Messages.AnyAsync(m => m.ProviderMessageId == $"SM-kw-{i}" && m.Text == body), body);
            Assert.True(expected == "channel" ? identity.OptedOutAt is not null : identity.OptedOutAt is null, $"{body}: this number stopped?");
            Assert.True(expected == "marketing" ? identity.Contact!.MarketingOptOutAt is not null : identity.Contact!.MarketingOptOutAt is null, $"{body}: marketing declined?");
            Assert.Null(identity.Contact.OptOutAllAt);
        }
    }

    [Fact]
    public async Task Start_AfterStop_LetsTheShopTextThatNumberAgain_AsDoesTwiliosOptOutTypeStart()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        await using var host = await CustomerKit.StartWithSmsAsync(twilio);
        const string Phone = "+8613900139000";

        async Task<DateTimeOffset?> OptedOutAtAsync()
        {
            await using var db = host.CreateDbContext();
            return await db.ChannelIdentities.Where(x => x.ExternalId == Phone).Select(x => x.OptedOutAt).SingleAsync();
        }

        await CustomerKit.TextAsync(host, Phone, "SM-ss-1", "STOP");
        var stoppedAt = await OptedOutAtAsync();
        Assert.NotNull(stoppedAt);
        // Stopping again keeps the first time.
        await CustomerKit.TextAsync(host, Phone, "SM-ss-2", "stop");
        Assert.Equal(stoppedAt, await OptedOutAtAsync());

        await CustomerKit.TextAsync(host, Phone, "SM-ss-3", "start");
        Assert.Null(await OptedOutAtAsync());

        await CustomerKit.TextAsync(host, Phone, "SM-ss-4", "STOP");
        Assert.NotNull(await OptedOutAtAsync());
        await CustomerKit.TextAsync(host, Phone, "SM-ss-5", "yes please, start again", new Dictionary<string, string> { ["OptOutType"] = "START" });
        Assert.Null(await OptedOutAtAsync());
        await CustomerKit.TextAsync(host, Phone, "SM-ss-6", "UNSTOP");
        Assert.Null(await OptedOutAtAsync());
    }

    /// <summary>
    /// A buyer who declined everything (the widget's "no messages", recorded for every channel) and later texts 退订 (no
    /// marketing) has declined more, not less: the shipping notice stays off. 订阅 turns everything back on; the parcel's
    /// check-in then goes out by SMS. Fails if 退订 sets the level instead of narrowing it.
    /// </summary>
    [Fact]
    public async Task Tuiding_AfterDecliningEverything_KeepsShippingNoticesOff_AndDingyueTurnsThemBackOn()
    {
        await using var shop = await ShopOrders.StartAsync(ShopOrders.ShopTime(2026, 12, 7, 10, 0));
        const string Buyer = "+8613800138000";
        await shop.PostAsync("order.created", ShopOrders.Created("1001", ShopOrders.ShopTime(2026, 12, 7, 10, 0), phone: Buyer));
        await shop.PostAsync("order.paid", new { orderId = "1001" });
        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-td-1", "你好"))).StatusCode);
        // Everything declined for every channel, as the widget's setting records it through the same contract.
        Assert.True(shop.Host.Services.GetRequiredService<ChannelRegistry>().TryGetRunning("sms-main", out var sms));
        Assert.True(await sms.Services!.GetRequiredService<IOutreachPreferences>().SetAsync(Buyer, OutreachPreference.None, thisChannelOnly: false, CancellationToken.None));

        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-td-2", "退订"))).StatusCode);

        var contact = await ContactAsync(shop.Host, Buyer);
        Assert.NotNull(contact.OptOutAllAt);
        Assert.NotNull(contact.MarketingOptOutAt);
        await shop.PostAsync("order.shipped", new { orderId = "1001", carrier = "顺丰速运", trackingNumber = "SF1234567890" });
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 7, 12, 0));
        var shipped = (await shop.FollowUpsAsync("1001")).Single(f => f.Kind == FollowUpKinds.Shipped);
        Assert.Equal((FollowUpStatus.Skipped, "the buyer declined all messages from the shop"), (shipped.Status, shipped.Reason));

        Assert.Equal(HttpStatusCode.OK, (await shop.Http.SendAsync(FollowUpFiringTests.InboundSms("SM-td-3", "订阅"))).StatusCode);

        contact = await ContactAsync(shop.Host, Buyer);
        Assert.Equal((null, null), (contact.OptOutAllAt, contact.MarketingOptOutAt));
        shop.Clock.SetUtcNow(ShopOrders.ShopTime(2026, 12, 8, 10, 0));
        await shop.PostAsync("order.delivered", new { orderId = "1001" });
        await shop.FireDueAsync(ShopOrders.ShopTime(2026, 12, 8, 14, 0));
        var checkIn = (await shop.FollowUpsAsync("1001")).Single(f => f.Kind == FollowUpKinds.DeliveryCheckIn);
        Assert.Equal((FollowUpStatus.Sent, "sms-main"), (checkIn.Status, checkIn.Channel));
    }

    private static async Task<Contact> ContactAsync(GatewayHost host, string phone)
    {
        await using var db = host.CreateDbContext();
        var identity = await db.ChannelIdentities.Include(x => x.Contact).AsNoTracking().SingleAsync(x => x.InstanceId == "sms-main" && x.ExternalId == phone);
        return identity.Contact!;
    }
}

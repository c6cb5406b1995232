using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

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
}

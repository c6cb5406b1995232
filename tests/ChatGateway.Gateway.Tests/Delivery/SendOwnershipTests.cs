using System.Net;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Delivery;

/// <summary>
/// Two gateway processes on one store and one redis-server share the replies to send: each reply is sent by one
/// instance only, also when a slow provider keeps replies queued longer than a send's lease.
/// </summary>
public sealed class SendOwnershipTests
{
    private const string PublicBaseUrl = "https://shop.example.com";
    private const string Customer = "+8613800138000";

    [Fact]
    public async Task RepliesQueuedBehindASlowProvider_WhileASecondInstanceJoins_EachReachTheProviderOnce_WithOneAttemptRecorded()
    {
        const int Replies = 40;
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        // A slow provider: over a second per message, well inside the attempt timeout also on a loaded machine, so no
        // attempt times out and is retried (Twilio takes no idempotency key: a retry after a timeout may arrive twice).
        twilio.DelayNext(1000, TimeSpan.FromSeconds(1.2));
        var cluster = GatewayProcess.Cluster.Create(GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl));
        var settings = new Dictionary<string, string>
        {
            ["Channels__sms-main__AuthToken"] = GatewayHost.SmsAuthToken,
            ["Delivery__Concurrency"] = "1",
            ["Delivery__AttemptTimeout"] = "00:00:05",
        };
        await using var a = await GatewayProcess.StartAsync(cluster, settings);
        using var http = a.CreateClient();
        await using var alice = await AgentSession.StartAsync(a.BaseAddress, "alice", GatewayHost.DemoPassword, online: true);
        var inbound = TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>()
        {
            ["MessageSid"] = "SM-owner-1", ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Customer, ["To"] = "+15005550006",
            ["Body"] = "is this jacket in stock?", ["NumMedia"] = "0",
        });
        Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(inbound)).StatusCode);
        var conversation = await alice.NextAssignedAsync();

        // The agent answers in a burst: instance A sends one at a time, so most of the replies wait for the provider
        // longer than one send's lease (the attempt timeout plus half a minute).
        for (var i = 0; i < Replies; i++)
        {
            await alice.ReplyAsync(conversation.Id, $"reply {i}");
        }

        await twilio.WaitForRequestAsync(_ => true, TimeSpan.FromSeconds(15));
        await using var b = await GatewayProcess.StartAsync(cluster, settings);

        List<Message> replies;
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (true)
        {
            await using var db = cluster.CreateDbContext();
            replies = await db.Messages.AsNoTracking().Where(m => m.Direction == MessageDirection.Out).ToListAsync();
            if (replies.Count(m => m.Status == MessageStatus.Sent) == Replies || DateTime.UtcNow > deadline)
            {
                break;
            }

            await Task.Delay(250);
        }

        // A duplicate would have come in after the last recorded send: give it the time to arrive.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Equal(Replies, replies.Count(m => m.Status == MessageStatus.Sent));
        var requests = twilio.Requests;
        var twice = Enumerable.Range(0, Replies).Select(i => $"reply {i}").Where(body => requests.Count(r => r.Body == body) != 1).ToList();
        Assert.True(twice.Count == 0, $"{twice.Count} of {Replies} replies did not reach the provider exactly once: {string.Join(", ", twice)}");
        Assert.All(replies, m => Assert.Equal(1, m.Attempts));
        Assert.All(replies, m => Assert.Null(m.DeliveryOwner));
    }

    [Fact]
    public async Task ReplyClaimedButNotYetSent_WhenTheGatewayStops_IsSentAtOnceAfterTheRestart_NotAfterItsLease()
    {
        await using var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
        // Each send takes six seconds: the gateway sends one at a time and has the next claimed, waiting.
        twilio.DelayNext(10, TimeSpan.FromSeconds(6));
        var data = Directory.CreateTempSubdirectory("cg-test-").FullName;
        var plugins = GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl);
        var settings = new Dictionary<string, string?>
        {
            ["Delivery:Concurrency"] = "1",
            // A lease of a minute and a half: a reply left claimed would wait that long.
            ["Delivery:AttemptTimeout"] = "00:01:00",
            ["Delivery:PollInterval"] = "00:00:00.200",
            // Only the agent's replies go to the provider.
            ["BusinessHours:ClosedReply"] = "",
            ["BusinessHours:NoAgentReply"] = "",
        };

        List<Guid> replies = [];
        await using (var a = await GatewayHost.StartAsync(pluginsJson: plugins, settings: settings, dataDirectory: data))
        {
            using var http = a.CreateClient();
            await using var alice = await a.SignInAsync("alice");
            var inbound = TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", new Dictionary<string, string>()
            {
                ["MessageSid"] = "SM-stop-1", ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Customer, ["To"] = "+15005550006",
                ["Body"] = "is this coat in stock?", ["NumMedia"] = "0",
            });
            Assert.Equal(HttpStatusCode.OK, (await http.SendAsync(inbound)).StatusCode);
            var conversation = await alice.NextAssignedAsync();
            for (var i = 0; i < 3; i++)
            {
                replies.Add((await alice.ReplyAsync(conversation.Id, $"update {i}")).Id);
            }

            // The provider answers the first (it records a request as it answers): the second goes to it and the third is
            // claimed, waiting for the slot. Stop then (gracefully), the second still at the provider.
            await twilio.WaitForRequestAsync(r => r.Body == "update 0", TimeSpan.FromSeconds(20));
            Message third;
            var claimedBy = DateTime.UtcNow.AddSeconds(5);
            do
            {
                await Task.Delay(50);
                await using var db = a.CreateDbContext();
                third = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == replies[2]);
            }
            while (third.DeliveryOwner is null && DateTime.UtcNow < claimedBy);

            Assert.Equal((MessageStatus.Pending, 1), (third.Status, third.Attempts));
            Assert.NotNull(third.DeliveryOwner);
            Assert.DoesNotContain(twilio.Requests, r => r.Body == "update 1");
        }

        var stoppedAt = DateTime.UtcNow;
        await using var b = await GatewayHost.StartAsync(pluginsJson: plugins, settings: settings, dataDirectory: data);
        await twilio.WaitForRequestAsync(r => r.Body == "update 2", TimeSpan.FromSeconds(20));
        Assert.True(DateTime.UtcNow - stoppedAt < TimeSpan.FromSeconds(30), "the reply waited for its lease");
        Message sent;
        var deadline = DateTime.UtcNow.AddSeconds(20);
        do
        {
            await Task.Delay(100);
            await using var db = b.CreateDbContext();
            sent = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == replies[2]);
        }
        while (sent.Status != MessageStatus.Sent && DateTime.UtcNow < deadline);

        // Its claim was given back, not counted: one attempt, the one that sent it; and it reached the provider once.
        Assert.Equal((MessageStatus.Sent, 1), (sent.Status, sent.Attempts));
        Assert.Single(twilio.Requests, r => r.Body == "update 2");
    }
}

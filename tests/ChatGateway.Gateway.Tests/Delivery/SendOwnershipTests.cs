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
}

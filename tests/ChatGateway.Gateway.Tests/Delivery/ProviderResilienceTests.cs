using System.Net;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Testing;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Delivery;

/// <summary>
/// A provider that keeps failing, seen through the SMS channel against a local fake Twilio: its circuit opens and later
/// sends fail at once without reaching it (delivery still retries them as transient failures, the gateway keeps running);
/// a send (a POST) reaches the provider exactly once per delivery attempt, however many retries reads get; a 429's
/// Retry-After holds the next attempt back that long; and messages failing together come back at different times.
/// </summary>
public sealed class ProviderResilienceTests
{
    private const string PublicBaseUrl = "https://shop.example.com";
    private const string Phone = "+8613800138000";

    [Fact]
    public async Task ProviderFailingRepeatedly_OpensTheCircuit_LaterSendsFailFastWithoutReachingIt()
    {
        await using var kit = await Kit.StartAsync(new()
        {
            // With the automatic reply's success before them, three failures make 3 of 4 calls.
            ["ProviderHttp:BreakerMinimumThroughput"] = "3",
            ["ProviderHttp:BreakerFailureRatio"] = "0.75",
            ["ProviderHttp:BreakDuration"] = "00:05:00",
        });
        kit.Twilio.FailNext(1000, 503);

        // Four attempts (the test host's Delivery:MaxAttempts): three reach Twilio and fail, which opens the circuit.
        var first = await kit.QueueAsync("first while Twilio is down");
        var firstRow = await kit.WaitAsync(first, m => m.Status == MessageStatus.Failed);
        Assert.Equal(4, firstRow.Attempts);
        Assert.Equal(3, kit.RequestsFor("first while Twilio is down"));

        // Every attempt of the next message is refused before it leaves: Twilio sees none of them.
        var second = await kit.QueueAsync("second while the circuit is open");
        var secondRow = await kit.WaitAsync(second, m => m.Status == MessageStatus.Failed);
        Assert.Equal(4, secondRow.Attempts);
        Assert.Equal(0, kit.RequestsFor("second while the circuit is open"));
        Assert.StartsWith("could not reach Twilio", secondRow.Error);
        Assert.Equal(4, kit.Twilio.Requests.Count); // the automatic reply and the first message's three

        // The gateway is still up and taking messages.
        Assert.Equal(HttpStatusCode.OK, (await kit.Http.GetAsync("/healthz/live")).StatusCode);
    }

    [Fact]
    public async Task Send_ReachesTheProviderOncePerDeliveryAttempt_NeverRetriedBehindDelivery()
    {
        // Reads may retry five times at once here; the breaker never opens.
        await using var kit = await Kit.StartAsync(new()
        {
            ["ProviderHttp:GetRetries"] = "5",
            ["ProviderHttp:GetRetryDelay"] = "00:00:00",
            ["ProviderHttp:BreakerMinimumThroughput"] = "1000",
        });
        kit.Twilio.FailNext(1000, 503);

        var id = await kit.QueueAsync("one POST per attempt");
        var row = await kit.WaitAsync(id, m => m.Status == MessageStatus.Failed);

        Assert.Equal(4, row.Attempts);
        var posts = kit.Twilio.Requests.Where(r => r.Body == "one POST per attempt").ToList();
        Assert.Equal(4, posts.Count);
        // The same idempotency key on each: Twilio would drop a duplicate of an attempt whose answer was lost.
        Assert.Single(posts.Select(p => p.IdempotencyToken).Distinct());
    }

    [Fact]
    public async Task TooManyRequests_WithRetryAfter120_HoldsTheNextAttemptTwoMinutes()
    {
        await using var kit = await Kit.StartAsync(new() { ["Delivery:MaxBackoff"] = "00:05:00" });
        kit.Twilio.FailNext(1, 429, retryAfterSeconds: 120);

        var id = await kit.QueueAsync("paced by Twilio");
        var row = await kit.WaitAsync(id, m => m is { Attempts: 1, DeliveryOwner: null });

        Assert.Equal(MessageStatus.Pending, row.Status);
        Assert.Contains("429", row.Error);
        // The test host's own backoff is 0.1-0.5 s: the two minutes are Twilio's.
        Assert.InRange(row.NextAttemptAt!.Value - row.UpdatedAt!.Value, TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(121));
        Assert.Equal(1, kit.RequestsFor("paced by Twilio"));
    }

    [Fact]
    public async Task MessagesFailingTogether_ComeBackAtDifferentTimes()
    {
        await using var kit = await Kit.StartAsync(new()
        {
            ["Delivery:InitialBackoff"] = "00:00:30",
            ["Delivery:MaxBackoff"] = "00:01:00",
        });
        kit.Twilio.FailNext(2, 503);

        var one = await kit.QueueAsync("first of two in the outage");
        var two = await kit.QueueAsync("second of two in the outage");
        var rows = new[]
        {
            await kit.WaitAsync(one, m => m is { Attempts: 1, DeliveryOwner: null }),
            await kit.WaitAsync(two, m => m is { Attempts: 1, DeliveryOwner: null }),
        };

        var waits = rows.Select(r => r.NextAttemptAt!.Value - r.UpdatedAt!.Value).ToList();
        // 30 s spread by a fifth either way, each its own.
        Assert.All(waits, w => Assert.InRange(w, TimeSpan.FromSeconds(24), TimeSpan.FromSeconds(36)));
        Assert.NotEqual(waits[0], waits[1]);
    }

    [Theory]
    [InlineData("ProviderHttp:BreakDuration", "00:00:00", "ProviderHttp:BreakDuration must be from 00:00:01")]
    [InlineData("ProviderHttp:BreakerFailureRatio", "1.5", "ProviderHttp:BreakerFailureRatio must be more than 0 and at most 1")]
    [InlineData("ProviderHttp:BreakerMinimumThroughput", "1", "ProviderHttp:BreakerMinimumThroughput must be from 2 to 10000, not 1.")]
    [InlineData("ProviderHttp:GetRetries", "-1", "ProviderHttp:GetRetries must be from 0 to 10, not -1.")]
    [InlineData("ProviderHttp:AttemptTimeout", "00:10:00", "ProviderHttp:TotalTimeout (00:05:00) must be at least ProviderHttp:AttemptTimeout (00:10:00).")]
    public void BadProviderHttpSetting_StopsStartUp_NamingItsKey(string key, string value, string expected)
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?> { [key] = value });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        Assert.Contains(expected, Settings.StartupSettingsTests.Describe(ex));
    }

    private sealed class Kit : IAsyncDisposable
    {
        private Kit(FakeTwilioServer twilio, GatewayHost host)
        {
            Twilio = twilio;
            Host = host;
            Http = host.CreateClient();
        }

        public FakeTwilioServer Twilio { get; }

        public GatewayHost Host { get; }

        public HttpClient Http { get; }

        private Conversation? Conversation { get; set; }

        public static async Task<Kit> StartAsync(Dictionary<string, string?> settings)
        {
            var twilio = await FakeTwilioServer.StartAsync(GatewayHost.SmsAccountSid, GatewayHost.SmsAuthToken);
            var host = await GatewayHost.StartAsync(pluginsJson: GatewayHost.DefaultPluginsJson(twilio.BaseAddress.ToString(), PublicBaseUrl), settings: settings);
            var kit = new Kit(twilio, host);
            await kit.TextAsync();
            return kit;
        }

        public int RequestsFor(string body) => Twilio.Requests.Count(r => r.Body == body);

        /// <summary>An answer to the customer, due now, as an agent's reply is queued.</summary>
        public async Task<Guid> QueueAsync(string text)
        {
            var now = DateTimeOffset.UtcNow;
            var id = Guid.CreateVersion7(now);
            await using var db = Host.CreateDbContext();
            db.Messages.Add(new Message
            {
                Id = id, ConversationId = Conversation!.Id, InstanceId = Conversation.LastInstanceId, ExternalId = Conversation.LastExternalId,
                Direction = MessageDirection.Out, Text = text, Status = MessageStatus.Pending, NextAttemptAt = now, CreatedAt = now,
            });
            await db.SaveChangesAsync();
            return id;
        }

        public async Task<Message> WaitAsync(Guid id, Func<Message, bool> done)
        {
            Message? row = null;
            for (var i = 0; i < 300 && (row is null || !done(row)); i++)
            {
                await Task.Delay(50);
                await using var db = Host.CreateDbContext();
                row = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == id);
            }

            Assert.True(done(row!), $"message {id} is {row!.Status} after {row.Attempts} attempts ({row.Error})");
            return row;
        }

        /// <summary>The customer texts the shop, which opens the conversation the answers go to.</summary>
        private async Task TextAsync()
        {
            var form = new Dictionary<string, string>
            {
                ["MessageSid"] = "SM-resilience-1", ["SmsSid"] = "SM-resilience-1", ["AccountSid"] = GatewayHost.SmsAccountSid, ["From"] = Phone,
                ["To"] = "+15005550006", ["Body"] = "is my parcel on its way?", ["NumMedia"] = "0", ["NumSegments"] = "1",
            };
            var response = await Http.SendAsync(TwilioSignature.CreateSignedRequest(GatewayHost.SmsAuthToken, PublicBaseUrl, "/channels/sms-main/messages", form));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            for (var i = 0; i < 200 && Conversation is null; i++)
            {
                await using var db = Host.CreateDbContext();
                Conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.LastInstanceId == "sms-main");
                if (Conversation is null)
                {
                    await Task.Delay(50);
                }
            }

            Assert.NotNull(Conversation);

            // No agent is online: the automatic "we will be with you" reply goes out first. The failures a test asks of
            // Twilio are for its own messages, so that one is sent before.
            for (var i = 0; i < 200 && !Twilio.Requests.Any(r => r.ResponseStatus == 201); i++)
            {
                await Task.Delay(50);
            }

            Assert.Single(Twilio.Requests);
        }

        public async ValueTask DisposeAsync()
        {
            Http.Dispose();
            await Host.DisposeAsync();
            await Twilio.DisposeAsync();
        }
    }
}

using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Tests.Settings;

/// <summary>
/// A bad setting stops start-up with its key named, whatever the section, instead of a gateway that starts and fails
/// later (Delivery:Concurrency=0 once logged a failure every half second). Bad values tried: below each minimum, above
/// the caps, a Redis connection string that does not parse, a key prefix with a space, a port out of range, a memory size
/// without a unit, an empty plugins path, a store provider that does not exist, and one bad value for every other section
/// (an agent's zero capacity, a zero heartbeat, an origin without a scheme, a CIDR prefix of 99, an unknown time zone, a
/// close reason id with a space, a name fallback in French, a blank competitor, a longest backoff below the first).
/// </summary>
public sealed class StartupSettingsTests
{
    [Theory]
    [InlineData("Delivery:Concurrency", "0", "Delivery:Concurrency must be at least 1 (it is 0).")]
    [InlineData("Delivery:MaxAttempts", "0", "Delivery:MaxAttempts must be at least 1")]
    [InlineData("Delivery:PollInterval", "00:00:00", "Delivery:PollInterval must be positive")]
    [InlineData("Ingest:MaxBatch", "0", "Ingest:MaxBatch must be 1 to 10,000 (it is 0).")]
    [InlineData("Ingest:MaxTextLength", "5000000", "Ingest:MaxTextLength must be 1 to 1,000,000 (it is 5000000).")]
    [InlineData("Ingest:MaxQueued", "-1", "Ingest:MaxQueued must be 1 to 10,000,000 (it is -1).")]
    [InlineData("ConnectionStrings:Redis", "localhost:6379,notanoption=1", "ConnectionStrings:Redis is not a Redis connection string")]
    [InlineData("Redis:KeyPrefix", "cg prod:", "Redis:KeyPrefix must be 1 to 64 characters without spaces")]
    [InlineData("Redis:EmbeddedPort", "70000", "Redis:EmbeddedPort must be a TCP port (0 picks a free one), not 70000.")]
    [InlineData("Redis:EmbeddedMemory", "64", "Redis:EmbeddedMemory must be a size such as 64m or 1g, not '64'.")]
    [InlineData("Plugins:Directory", " ", "Plugins:Directory must be the folder holding the plugins' folders")]
    [InlineData("Store:Provider", "Oracle", "Store:Provider")]
    [InlineData("Metrics:QueueDepthInterval", "00:00:00", "Metrics:QueueDepthInterval must be between")]
    [InlineData("Delivery:MaxBackoff", "00:00:00.050", "Delivery:MaxBackoff (00:00:00.0500000) must be at least Delivery:InitialBackoff (00:00:00.1000000).")]
    [InlineData("Agents:Seed:0:MaxConcurrent", "0", "Agents:Seed:0:MaxConcurrent must be 1-100.")]
    [InlineData("Presence:HeartbeatInterval", "00:00:00", "Presence:HeartbeatInterval must be between 00:00:00.1 and 00:01:00, not 00:00:00.")]
    [InlineData("Health:StoreWriteTimeout", "-00:00:01", "Health:StoreWriteTimeout must be positive (it is -00:00:01).")]
    [InlineData("Auth:MaxFailures", "0", "Auth:MaxFailures must be 1-100, not 0.")]
    [InlineData("Desk:AllowedOrigins:0", "desk.example.com", "Desk:AllowedOrigins:0 must be an origin such as https://desk.example.com, not 'desk.example.com'.")]
    [InlineData("ForwardedHeaders:KnownNetworks:0", "10.0.0.0/99", "ForwardedHeaders:KnownNetworks:0 must be a network in CIDR form")]
    [InlineData("Scheduler:Threads", "0", "Scheduler:Threads must be from 1 to 200.")]
    [InlineData("Survey:AnswerWindow", "00:00:00", "Survey:AnswerWindow must be more than zero and at most 30 days")]
    [InlineData("Attachments:MaxBytes", "0", "Attachments:MaxBytes must be between 1 and 2147483648 (2 GB); it is 0.")]
    [InlineData("Callbacks:RemindBefore", "-00:10:00", "Callbacks:RemindBefore must be between 00:00:00 and 1.00:00:00")]
    [InlineData("FollowUps:MaxPerContactPerDay", "0", "FollowUps:MaxPerContactPerDay must be at least 1.")]
    [InlineData("BusinessHours:TimeZone", "Mars/Olympus", "BusinessHours:TimeZone 'Mars/Olympus' is not a known time zone")]
    [InlineData("Reports:MaxDays", "0", "Reports:MaxDays must be from 1 to 3660, not 0.")]
    [InlineData("Conversations:CloseReasons:Not Valid:En", "Other", "Conversations:CloseReasons:Not Valid: a reason's id is 1-40 lower-case letters")]
    [InlineData("CannedReplies:NameFallback:fr", "ami", "CannedReplies:NameFallback:fr must be zh or en")]
    [InlineData("ReplyGuard:Competitors:0", " ", "ReplyGuard:Competitors:0 must be a name of 1-200 characters.")]
    [InlineData("ProviderHttp:BreakerSamplingDuration", "00:00:00", "ProviderHttp:BreakerSamplingDuration must be from 00:00:01 to 1.00:00:00, not 00:00:00.")]
    public void BadSetting_StopsStartUp_NamingItsKey(string key, string value, string expected)
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?> { [key] = value });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        var message = Describe(ex);
        Assert.Contains(expected, message);
        // A connection string's parts may hold a password: only the refused option is named, never the whole string.
        if (key == "ConnectionStrings:Redis")
        {
            Assert.DoesNotContain("localhost:6379", message);
        }
    }

    [Fact]
    public void SeveralBadSettingsOfOneSection_AreNamedTogether()
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?>
        {
            ["Redis:KeyPrefix"] = "", ["Redis:EmbeddedPort"] = "-2", ["Redis:EmbeddedMemory"] = "lots",
        });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        var failures = Flatten(ex).OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.Contains(failures, f => f.StartsWith("Redis:KeyPrefix", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Redis:EmbeddedPort", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Redis:EmbeddedMemory", StringComparison.Ordinal));
    }

    [Fact]
    public void SeveralBadDeliverySettings_AreNamedTogether()
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?>
        {
            ["Delivery:Concurrency"] = "0", ["Delivery:AttemptTimeout"] = "00:00:00", ["Delivery:InitialBackoff"] = "00:10:00",
        });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        var failures = Flatten(ex).OfType<OptionsValidationException>().SelectMany(e => e.Failures).ToList();
        Assert.Contains(failures, f => f.StartsWith("Delivery:Concurrency", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Delivery:AttemptTimeout", StringComparison.Ordinal));
        Assert.Contains(failures, f => f.StartsWith("Delivery:MaxBackoff", StringComparison.Ordinal));
    }

    /// <summary>Every message of the start-up failure and the exceptions inside it, as an operator reads the log.</summary>
    internal static string Describe(Exception ex) => string.Join(" | ", Flatten(ex).Select(e => e.Message));

    private static IEnumerable<Exception> Flatten(Exception ex)
    {
        yield return ex;
        if (ex is AggregateException aggregate)
        {
            foreach (var inner in aggregate.InnerExceptions.SelectMany(Flatten))
            {
                yield return inner;
            }
        }
        else if (ex.InnerException is { } inner)
        {
            foreach (var e in Flatten(inner))
            {
                yield return e;
            }
        }
    }
}

using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Tests.Settings;

/// <summary>
/// A bad setting stops start-up with its key named, whatever the section, instead of a gateway that starts and fails
/// later (Delivery:Concurrency=0 once logged a failure every half second). Bad values tried: below each minimum, above
/// the caps, a Redis connection string that does not parse, a key prefix with a space, a port out of range, a memory size
/// without a unit, an empty plugins path, a store provider that does not exist.
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
    public void BadSetting_StopsStartUp_NamingItsKey(string key, string value, string expected)
    {
        var host = GatewayHost.Create(RedisBackend.Garnet, null, new Dictionary<string, string?> { [key] = value });

        var ex = Assert.ThrowsAny<Exception>(() => host.StartServerAsync().GetAwaiter().GetResult());

        var message = string.Join(" | ", Flatten(ex).Select(e => e.Message));
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

using ChatGateway.Gateway.Routing;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Telemetry;

/// <summary>Reads the depth of every queue from Redis every few seconds for the queue-depth gauge (a gauge's callback cannot wait for Redis).</summary>
internal sealed partial class QueueDepthSampler(
    GatewayMetrics metrics, RedisRoutingStore store, RoutingRules rules, IOptions<MetricsOptions> options, TimeProvider time, ILogger<QueueDepthSampler> logger) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(time, options.Value.QueueDepthInterval, SampleAsync, ex => LogFailed(logger, ex), stoppingToken, runFirst: true);

    internal async Task SampleAsync(CancellationToken cancellationToken)
    {
        var depths = new List<KeyValuePair<string, long>>();
        foreach (var queue in rules.Current.Steps.Keys.Order(StringComparer.Ordinal))
        {
            depths.Add(new(queue, await store.GetWaitingCountAsync(queue)));
        }

        metrics.QueueDepths(depths);
    }

    [LoggerMessage(EventId = 9500, Level = LogLevel.Warning, Message = "Reading the queues' depth for the metrics failed; trying again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

namespace ChatGateway.Gateway.Telemetry;

/// <summary>The <c>Metrics</c> section.</summary>
internal sealed class MetricsOptions
{
    /// <summary>Serve the metrics at <c>/metrics</c> in Prometheus' text format (off by default: the endpoint answers to anyone who can reach it).</summary>
    public bool Prometheus { get; set; }

    /// <summary>How often the queues' depth is read from Redis for the metrics.</summary>
    public TimeSpan QueueDepthInterval { get; set; } = TimeSpan.FromSeconds(5);
}

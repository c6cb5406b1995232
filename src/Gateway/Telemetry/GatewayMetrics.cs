using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace ChatGateway.Gateway.Telemetry;

/// <summary>
/// The gateway's own measurements, on the <c>ChatGateway</c> meter (created through <see cref="IMeterFactory"/>), and
/// its traces, on the <c>ChatGateway</c> activity source (<see cref="GatewayTracing"/>).
/// Labels carry channel instance ids, channel types, skills, follow-up kinds and outcomes: never a customer, a message
/// or a conversation (their number is unbounded).
/// </summary>
internal sealed class GatewayMetrics
{
    public const string Name = "ChatGateway";

    /// <summary>Spans of the gateway's own steps (store, routing, the agent's push, the send to the provider).</summary>
    public static readonly ActivitySource Source = new(Name);

    private readonly Counter<long> _inbound;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _commit;
    private readonly Counter<long> _assignments;
    private readonly Counter<long> _transfers;
    private readonly Histogram<double> _wait;
    private readonly Counter<long> _attempts;
    private readonly Counter<long> _deadLetters;
    private readonly Counter<long> _followUpsPlanned;
    private readonly Counter<long> _followUps;

    /// <summary>The queues' depth per skill, as last read from Redis (<see cref="QueueDepthSampler"/>).</summary>
    private volatile IReadOnlyList<KeyValuePair<string, long>> _queueDepths = [];

    public GatewayMetrics(IMeterFactory meters, Agents.DeskConnections desks, Plugins.ChannelRegistry channels)
    {
        var meter = meters.Create(Name);
        meter.CreateObservableUpDownCounter("chatgateway.desk.connections", () => (long)desks.Count, "{connection}", "Agents' desk connections open on this gateway process");
        meter.CreateObservableUpDownCounter("chatgateway.visitor.connections", () => VisitorConnections(channels), "{connection}",
            "Customers' live connections (web chat visitors' open pages) to this gateway process, by channel instance");
        meter.CreateObservableGauge("chatgateway.routing.queue.depth",
            () => _queueDepths.Select(q => new Measurement<long>(q.Value, new KeyValuePair<string, object?>("skill", q.Key))),
            "{conversation}", "Conversations waiting for an agent, by queue (read from Redis every few seconds: the same on every instance)");
        _inbound = meter.CreateCounter<long>("chatgateway.inbound.messages", "{message}", "Customer messages stored, by channel instance");
        _batchSize = meter.CreateHistogram<int>("chatgateway.ingest.batch.size", "{message}", "Customer messages stored per write transaction",
            advice: new InstrumentAdvice<int> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
        _commit = meter.CreateHistogram<double>("chatgateway.ingest.commit.duration", "s", "Time to store one batch of customer messages, commit included",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1] });
        _assignments = meter.CreateCounter<long>("chatgateway.routing.assignments", "{conversation}", "Conversations given to an agent, by skill");
        _transfers = meter.CreateCounter<long>("chatgateway.routing.transfers", "{conversation}", "Conversations passed on by an agent (to another agent or back to a queue), by skill");
        _wait = meter.CreateHistogram<double>("chatgateway.routing.wait", "s", "How long a conversation waited in its queue before an agent got it, by skill",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600] });
        _attempts = meter.CreateCounter<long>("chatgateway.delivery.attempts", "{attempt}", "Send attempts to providers, by channel instance and outcome (sent, retry, failed)");
        _deadLetters = meter.CreateCounter<long>("chatgateway.delivery.dead_letters", "{message}", "Replies given up on (failed for good), by channel instance");
        _followUpsPlanned = meter.CreateCounter<long>("chatgateway.followups.planned", "{follow-up}", "Follow-ups planned, by kind");
        _followUps = meter.CreateCounter<long>("chatgateway.followups.done", "{follow-up}", "Follow-ups that fell due, by kind and outcome (sent, skipped)");
    }

    public void Inbound(string instanceId, string? channelType)
    {
        if (_inbound.Enabled)
        {
            _inbound.Add(1, new KeyValuePair<string, object?>("channel", instanceId), new KeyValuePair<string, object?>("channel.type", channelType));
        }
    }

    /// <summary>A batch of the inbound writer, from the start of its transaction (<see cref="Stopwatch.GetTimestamp"/>) to its commit.</summary>
    public void BatchStored(int messages, long startedTimestamp)
    {
        if (_batchSize.Enabled)
        {
            _batchSize.Record(messages);
        }

        if (_commit.Enabled)
        {
            _commit.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds);
        }
    }

    public void Assigned(string skill, TimeSpan? waited)
    {
        var tag = new KeyValuePair<string, object?>("skill", skill);
        _assignments.Add(1, tag);
        if (waited is { } w && _wait.Enabled)
        {
            _wait.Record(Math.Max(0, w.TotalSeconds), tag);
        }
    }

    public void Transferred(string skill) => _transfers.Add(1, new KeyValuePair<string, object?>("skill", skill));

    /// <summary>
    /// <paramref name="outcome"/>: <c>sent</c>, <c>retry</c> or <c>failed</c> (the last also counts a dead letter). The
    /// attempt's <c>deliver</c> span, when traced, gets the outcome too.
    /// </summary>
    public void DeliveryAttempt(string instanceId, string outcome)
    {
        if (Activity.Current is { OperationName: GatewayTracing.Deliver } span && span.Source == Source)
        {
            span.SetTag(GatewayTracing.OutcomeTag, outcome);
            if (outcome != "sent")
            {
                span.SetStatus(ActivityStatusCode.Error, outcome);
            }
        }

        var channel = new KeyValuePair<string, object?>("channel", instanceId);
        _attempts.Add(1, channel, new KeyValuePair<string, object?>("outcome", outcome));
        if (outcome == "failed")
        {
            _deadLetters.Add(1, channel);
        }
    }

    public void FollowUpPlanned(string kind) => _followUpsPlanned.Add(1, new KeyValuePair<string, object?>("kind", kind));

    /// <summary><paramref name="outcome"/>: <c>sent</c> or <c>skipped</c>.</summary>
    public void FollowUpDone(string kind, string outcome)
    {
        var kindTag = new KeyValuePair<string, object?>("kind", kind);
        var outcomeTag = new KeyValuePair<string, object?>("outcome", outcome);
        _followUps.Add(1, kindTag, outcomeTag);
        // A run fires several follow-ups: each is an event of its span.
        if (Activity.Current is { OperationName: GatewayTracing.FollowUp } span && span.Source == Source)
        {
            span.AddEvent(new ActivityEvent("followup.done", tags: new ActivityTagsCollection { kindTag, outcomeTag }));
        }
    }

    /// <summary>Each running channel instance that counts live customer connections (<see cref="Abstractions.IChannelConnectionCount"/>), by instance id.</summary>
    private static List<Measurement<long>> VisitorConnections(Plugins.ChannelRegistry channels)
    {
        var measurements = new List<Measurement<long>>();
        foreach (var channel in channels.Channels)
        {
            try
            {
                if (channel.State == "running" && channel.Services?.GetService<Abstractions.IChannelConnectionCount>() is { } connections)
                {
                    measurements.Add(new Measurement<long>(connections.Count, new KeyValuePair<string, object?>("channel", channel.Entry.Id)));
                }
            }
            catch (ObjectDisposedException)
            {
                // Stopping: the instance's services are gone, and so are its connections.
            }
        }

        return measurements;
    }

    public void QueueDepths(IReadOnlyList<KeyValuePair<string, long>> depths) => _queueDepths = depths;
}

using System.Diagnostics;

namespace ChatGateway.Gateway.Telemetry;

/// <summary>
/// The spans of the gateway's own steps, on <see cref="GatewayMetrics.Source"/>: <c>ingest</c>, <c>store.commit</c>,
/// <c>route</c>, <c>assign</c>, <c>push</c>, <c>deliver</c> and <c>followup</c>. With nothing listening (no OTLP
/// exporter) every start returns null before anything is allocated, so the callers keep their tags behind
/// <c>if (activity is not null)</c>. Attributes carry ids (channel instance, conversation, agent), never text or a
/// customer's phone number or address.
/// </summary>
internal static class GatewayTracing
{
    public const string Ingest = "ingest";
    public const string StoreCommit = "store.commit";
    public const string Route = "route";
    public const string Assign = "assign";
    public const string Push = "push";
    public const string Deliver = "deliver";
    public const string FollowUp = "followup";

    public const string ChannelTag = "chatgateway.channel";
    public const string ChannelTypeTag = "chatgateway.channel.type";
    public const string ConversationTag = "chatgateway.conversation.id";
    public const string MessageTag = "chatgateway.message.id";
    public const string SkillTag = "chatgateway.skill";
    public const string AgentTag = "chatgateway.agent.id";
    public const string AttemptTag = "chatgateway.delivery.attempt";
    public const string OutcomeTag = "chatgateway.outcome";
    public const string EventTag = "chatgateway.event";
    public const string InstanceTag = "chatgateway.instance";
    public const string BatchSizeTag = "chatgateway.batch.size";
    public const string CountTag = "chatgateway.followup.count";

    public static ActivitySource Source => GatewayMetrics.Source;

    /// <summary>
    /// A span that continues the trace a W3C <c>traceparent</c> names (carried by a Redis event or an outbox row from
    /// another instance or an earlier request); a root span when there is none or it does not parse.
    /// </summary>
    public static Activity? StartContinuing(string name, ActivityKind kind, string? traceParent, string? traceState = null)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        // Without a carried context the span's parent is the current one, if any (the callers are background loops: none).
        ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var parent);
        return Source.StartActivity(name, kind, parent);
    }

    /// <summary>The current span's W3C <c>traceparent</c> (with its <c>tracestate</c>), to carry to another instance; null when nothing traces.</summary>
    public static (string? TraceParent, string? TraceState) Current() =>
        Activity.Current is { IdFormat: ActivityIdFormat.W3C } current && Source.HasListeners()
            ? (current.Id, current.TraceStateString)
            : (null, null);
}

using System.Text.Json;
using System.Text.Json.Serialization;
using System.Threading.Channels;
using ChatGateway.Gateway.Redis;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Routing;

internal static class GatewayEventTypes
{
    public const string Assigned = "assigned";
    public const string MessageAdded = "message";
    public const string MessageStatus = "status";
    public const string Closed = "closed";
    public const string Removed = "removed";
    public const string Waiting = "waiting";
    public const string Overdue = "overdue";
    /// <summary>A promised callback is due soon: to whoever has the conversation (MessageId = the follow-up, Text = the note).</summary>
    public const string PromiseDue = "promiseDue";
    /// <summary>A promised callback passed without an agent's answer: to the supervisors and the agent who promised.</summary>
    public const string PromiseUnkept = "promiseUnkept";
    /// <summary>The customer is typing (Text <c>on</c>) or stopped (<c>off</c>): to the agent who has the conversation. Never stored.</summary>
    public const string CustomerTyping = "customerTyping";
    /// <summary>The customer has read the replies up to DueAt: to the agent who has the conversation.</summary>
    public const string CustomerRead = "customerRead";
    /// <summary>The agent is typing (Text <c>on</c>/<c>off</c>): to the customer at InstanceId/ExternalId. Never stored.</summary>
    public const string AgentTyping = "agentTyping";
    /// <summary>The agent has read the customer's messages up to DueAt: to the customer at InstanceId/ExternalId and the agent's other desks.</summary>
    public const string AgentRead = "agentRead";
    /// <summary>The conversation was snoozed (DueAt: until when; null: until the customer writes): to its agent.</summary>
    public const string Snoozed = "snoozed";
    /// <summary>A webhook subscription was added, changed or removed: every instance reads which events are wanted again.</summary>
    public const string WebhooksChanged = "webhooksChanged";
    /// <summary>A snooze ended (its time came, or the agent woke it; a customer's message wakes it as a new message): to its agent.</summary>
    public const string Woken = "woken";
}

/// <summary>
/// Something agents or customers should see live. Carries ids, and for a new message the message
/// itself, so receivers push it without reading the store; otherwise receivers read the store. A promise's
/// events carry its note and due time (shop offset).
/// </summary>
internal sealed record GatewayEvent(
    string Type, Guid ConversationId, Guid? AgentId = null, Guid? MessageId = null, Conversations.MessageDto? Message = null, string? Text = null, DateTimeOffset? DueAt = null)
{
    /// <summary>For events to a customer: the channel instance and identity to tell, so receivers need not read the store.</summary>
    public string? InstanceId { get; init; }

    /// <inheritdoc cref="InstanceId"/>
    public string? ExternalId { get; init; }

    /// <summary>The gateway instance that published it (set on the way to Redis): its own subscribers heard it in process already.</summary>
    public string? Origin { get; init; }

    /// <summary>
    /// The W3C trace context of the step that published the event (set while tracing is on), so the receiving
    /// instance's span (<c>push</c>) continues the same trace.
    /// </summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceParent { get; init; }

    /// <inheritdoc cref="TraceParent"/>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? TraceState { get; init; }
}

/// <summary>
/// Fans events out to every gateway instance through Redis pub/sub, so an agent connected to any
/// instance sees what happened on another. This instance's own subscribers hear its events at once, in process:
/// they do not wait for Redis, and do not miss them while the subscription is being restored after Redis came back
/// (a publish can reach Redis before the resubscribe does, and pub/sub keeps nothing for a listener not there).
/// </summary>
internal sealed class GatewayEventBus(RedisConnection redis, GatewayInstance instance)
{
    private readonly Lock _gate = new();
    private ChannelWriter<GatewayEvent>[] _local = [];

    private RedisChannel Channel => RedisChannel.Literal(redis.KeyPrefix + "events");

    /// <summary>This instance, as events it publishes name their origin.</summary>
    public string InstanceId => instance.Id;

    public async Task PublishAsync(GatewayEvent gatewayEvent)
    {
        if (gatewayEvent.TraceParent is null && Telemetry.GatewayTracing.Current() is ({ } traceParent, var traceState))
        {
            gatewayEvent = gatewayEvent with { TraceParent = traceParent, TraceState = traceState };
        }

        foreach (var local in Volatile.Read(ref _local))
        {
            local.TryWrite(gatewayEvent);
        }

        var connection = await redis.GetAsync();
        await connection.GetSubscriber().PublishAsync(Channel, JsonSerializer.Serialize(gatewayEvent with { Origin = instance.Id }));
    }

    public async Task<ChannelMessageQueue> SubscribeAsync()
    {
        var connection = await redis.GetAsync();
        return await connection.GetSubscriber().SubscribeAsync(Channel);
    }

    /// <summary>Every event this instance publishes from now on is written to <paramref name="writer"/> too (until <see cref="RemoveLocal"/>).</summary>
    public void AddLocal(ChannelWriter<GatewayEvent> writer)
    {
        lock (_gate)
        {
            _local = [.. _local, writer];
        }
    }

    public void RemoveLocal(ChannelWriter<GatewayEvent> writer)
    {
        lock (_gate)
        {
            _local = [.. _local.Where(w => w != writer)];
        }
    }

    public static GatewayEvent? Parse(RedisValue value) => JsonSerializer.Deserialize<GatewayEvent>((string)value!);
}

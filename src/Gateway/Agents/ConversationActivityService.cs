using ChatGateway.Abstractions;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Agents;

/// <summary>What became of an agent's typing or read report.</summary>
internal enum ActivityOutcome
{
    Done,
    NotFound,
    NotYours,
}

/// <summary>
/// Typing and read marks between a conversation's customer and its agent. Typing goes over the event bus to every
/// gateway instance (where the agent's desk or the customer's socket is) and is never stored; a read mark is one
/// update of the conversation's row. Only the conversation's own customer and its assigned agent are heard.
/// </summary>
internal sealed class ConversationActivityService(IDbContextFactory<GatewayDbContext> dbFactory, GatewayEventBus events, TimeProvider time)
{
    /// <summary>What the customer of <paramref name="instanceId"/> did; false when they have no such conversation.</summary>
    public async Task<bool> FromCustomerAsync(string instanceId, CustomerActivity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(activity);
        if (string.IsNullOrEmpty(activity.ExternalId) || !Enum.IsDefined(activity.Kind))
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var contactId = await db.ChannelIdentities.AsNoTracking()
            .Where(i => i.InstanceId == instanceId && i.ExternalId == activity.ExternalId)
            .Select(i => (Guid?)i.ContactId)
            .FirstOrDefaultAsync(cancellationToken);
        if (contactId is null)
        {
            return false;
        }

        // The named conversation if it is the customer's contact's; otherwise their open one.
        var conversations = db.Conversations.AsNoTracking().Where(c => c.ContactId == contactId);
        conversations = activity.ConversationId is { } named
            ? conversations.Where(c => c.Id == named)
            : conversations.Where(c => c.Status != ConversationStatus.Closed).OrderByDescending(c => c.CreatedAt);
        var conversation = await conversations.Select(c => new { c.Id, c.Status, c.AssignedAgentId }).FirstOrDefaultAsync(cancellationToken);
        if (conversation is null)
        {
            return false;
        }

        var agent = conversation.Status == ConversationStatus.Assigned ? conversation.AssignedAgentId : null;
        if (activity.Kind == ConversationActivityKind.Read)
        {
            var now = Stored(time.GetUtcNow());
            await db.Conversations.Where(c => c.Id == conversation.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.CustomerReadAt, now), cancellationToken);
            if (agent is not null)
            {
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.CustomerRead, conversation.Id, agent, DueAt: now));
            }

            return true;
        }

        if (agent is not null)
        {
            var typing = activity.Kind == ConversationActivityKind.TypingStarted ? ActivityTyping.On : ActivityTyping.Off;
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.CustomerTyping, conversation.Id, agent, Text: typing));
        }

        return true;
    }

    /// <summary>The assigned agent is typing (or stopped): their customer is told where they are connected.</summary>
    public async Task<ActivityOutcome> AgentTypingAsync(Guid agentId, Guid conversationId, bool typing, CancellationToken cancellationToken)
    {
        var (outcome, recipient) = await FindAgentsAsync(agentId, conversationId, cancellationToken);
        if (outcome == ActivityOutcome.Done)
        {
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.AgentTyping, conversationId, agentId, Text: typing ? ActivityTyping.On : ActivityTyping.Off)
            {
                InstanceId = recipient!.Value.InstanceId,
                ExternalId = recipient.Value.ExternalId,
            });
        }

        return outcome;
    }

    /// <summary>The assigned agent has read the conversation now: its read mark moves, the customer and the agent's other desks are told.</summary>
    public async Task<(ActivityOutcome Outcome, DateTimeOffset ReadAt)> AgentReadAsync(Guid agentId, Guid conversationId, CancellationToken cancellationToken)
    {
        var (outcome, recipient) = await FindAgentsAsync(agentId, conversationId, cancellationToken);
        var now = Stored(time.GetUtcNow());
        if (outcome != ActivityOutcome.Done)
        {
            return (outcome, now);
        }

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await db.Conversations.Where(c => c.Id == conversationId).ExecuteUpdateAsync(s => s.SetProperty(c => c.AgentReadAt, now), cancellationToken);
        }

        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.AgentRead, conversationId, agentId, DueAt: now)
        {
            InstanceId = recipient!.Value.InstanceId,
            ExternalId = recipient.Value.ExternalId,
        });
        return (outcome, now);
    }

    /// <summary>The time as the store keeps it (whole milliseconds), so the mark told live is the mark read back later.</summary>
    private static DateTimeOffset Stored(DateTimeOffset time) => new(time.Ticks - (time.Ticks % TimeSpan.TicksPerMillisecond), time.Offset);

    private async Task<(ActivityOutcome, (string InstanceId, string ExternalId)?)> FindAgentsAsync(Guid agentId, Guid conversationId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var c = await db.Conversations.AsNoTracking()
            .Where(x => x.Id == conversationId)
            .Select(x => new { x.Status, x.AssignedAgentId, x.LastInstanceId, x.LastExternalId })
            .FirstOrDefaultAsync(cancellationToken);
        if (c is null)
        {
            return (ActivityOutcome.NotFound, null);
        }

        return c.Status == ConversationStatus.Assigned && c.AssignedAgentId == agentId
            ? (ActivityOutcome.Done, (c.LastInstanceId, c.LastExternalId))
            : (ActivityOutcome.NotYours, null);
    }
}

/// <summary>The <see cref="GatewayEvent.Text"/> of typing events.</summary>
internal static class ActivityTyping
{
    public const string On = "on";
    public const string Off = "off";
}

/// <summary>The activity sink of one channel instance.</summary>
internal sealed class InstanceCustomerActivitySink(ConversationActivityService activity, string instanceId) : ICustomerActivitySink
{
    public Task<bool> ReportAsync(CustomerActivity report, CancellationToken cancellationToken) =>
        activity.FromCustomerAsync(instanceId, report, cancellationToken);
}

/// <summary>The desk's composer: the agent is typing (<c>true</c>, repeated every few seconds) or stopped (<c>false</c>).</summary>
public sealed record TypingRequest(bool? Typing);

/// <summary>The agent's read mark of a conversation: they have read the customer's messages up to <paramref name="ReadAt"/>.</summary>
public sealed record ReadMarkDto(Guid ConversationId, DateTimeOffset ReadAt);

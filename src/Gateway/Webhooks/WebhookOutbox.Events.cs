using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Webhooks;

/// <summary>
/// The events' data, one method per place something happens, so each feature's hook is one line. Ids, channel, skill
/// and agent; a message's text only in <c>message.created</c> (the shop's own data, never logged).
/// </summary>
internal sealed partial class WebhookOutbox
{
    private Plugins.ChannelRegistry? _channels;

    // Resolved on first use: the channel host builds the ingest path, which writes to this outbox.
    private string? ChannelTypeOf(string instanceId) => (_channels ??= services.GetRequiredService<Plugins.ChannelRegistry>()).ChannelTypeOf(instanceId);

    private object ConversationData(Conversation c) => new
    {
        id = c.Id,
        contactId = c.ContactId,
        status = c.Status.ToApi(),
        skill = c.Skill,
        channel = c.LastInstanceId,
        channelType = ChannelTypeOf(c.LastInstanceId),
        language = c.Language,
        createdAt = c.CreatedAt,
    };

    private static async Task<object?> AgentDataAsync(GatewayDbContext db, Guid? agentId) => agentId is not { } id
        ? null
        : await db.Agents.AsNoTracking().Where(a => a.Id == id).Select(a => new { id = a.Id, userName = a.UserName, displayName = a.DisplayName }).FirstOrDefaultAsync();

    /// <summary>Routing recorded a decision: <c>conversation.transferred</c> when an agent passed it on, <c>conversation.assigned</c> when an agent has it now.</summary>
    public async Task RoutedAsync(GatewayDbContext db, Conversation c, Guid? agentId, Guid? previousAgentId)
    {
        if (previousAgentId is not null && Wants(WebhookEventTypes.ConversationTransferred))
        {
            Add(db, WebhookEventTypes.ConversationTransferred, c.Id, new
            {
                conversation = ConversationData(c),
                fromAgent = await AgentDataAsync(db, previousAgentId),
                toAgent = await AgentDataAsync(db, agentId),
                toSkill = agentId is null ? c.Skill : null,
            });
        }

        if (agentId is not null && Wants(WebhookEventTypes.ConversationAssigned))
        {
            Add(db, WebhookEventTypes.ConversationAssigned, c.Id, new { conversation = ConversationData(c), agent = await AgentDataAsync(db, agentId) });
        }
    }

    /// <summary><c>conversation.closed</c>: by an agent (with the close reason), or again when the customer rated it (with the rating).</summary>
    public async Task ClosedAsync(GatewayDbContext db, Guid conversationId)
    {
        if (!Wants(WebhookEventTypes.ConversationClosed))
        {
            return;
        }

        var c = await db.Conversations.AsNoTracking().FirstAsync(x => x.Id == conversationId);
        Add(db, WebhookEventTypes.ConversationClosed, c.Id, new
        {
            conversation = ConversationData(c),
            closedAt = c.ClosedAt,
            closedBy = await AgentDataAsync(db, c.ClosedByAgentId),
            reason = c.CloseReason,
            rating = c.SurveyRating is { } rating ? new { score = rating, ratedAt = c.SurveyRatedAt } : null,
        });
    }

    /// <summary><c>message.created</c> for a message written through EF (an agent's reply).</summary>
    public void MessageCreated(GatewayDbContext db, Conversation c, Message m)
    {
        if (Wants(WebhookEventTypes.MessageCreated))
        {
            db.WebhookEvents.Add(MessageEvent(c.Id, c.ContactId, m, ChannelTypeOf(m.InstanceId), time.GetUtcNow()));
        }
    }

    public static object MessageData(Guid conversationId, Guid contactId, Message m, string? channelType) => new
    {
        id = m.Id,
        conversationId,
        contactId,
        direction = m.Direction.ToApi(),
        sender = m.Direction == MessageDirection.In ? "customer" : m.AgentId is null ? "system" : "agent",
        agent = m.AgentId is { } agentId ? new { id = agentId, displayName = m.AgentName } : null,
        channel = m.InstanceId,
        channelType,
        text = m.Text,
        createdAt = m.CreatedAt,
    };

    /// <summary>The ingest writer's events (it writes them with its own statements, in the batch's transaction).</summary>
    public static WebhookEvent MessageEvent(Guid conversationId, Guid contactId, Message m, string? channelType, DateTimeOffset at) =>
        Create(WebhookEventTypes.MessageCreated, conversationId, MessageData(conversationId, contactId, m, channelType), at);

    public WebhookEvent ConversationCreatedEvent(Conversation c, DateTimeOffset at) =>
        Create(WebhookEventTypes.ConversationCreated, c.Id, new { conversation = ConversationData(c) }, at);

    /// <summary><c>message.failed</c>: a reply given up on (its attempts used, or refused for good by the channel).</summary>
    public async Task MessageFailedAsync(GatewayDbContext db, Message m, string error)
    {
        if (!Wants(WebhookEventTypes.MessageFailed))
        {
            return;
        }

        var contactId = await db.Conversations.Where(c => c.Id == m.ConversationId).Select(c => c.ContactId).FirstOrDefaultAsync();
        Add(db, WebhookEventTypes.MessageFailed, m.ConversationId, new
        {
            message = new
            {
                id = m.Id, conversationId = m.ConversationId, contactId, channel = m.InstanceId, channelType = ChannelTypeOf(m.InstanceId),
                agent = m.AgentId is { } agentId ? new { id = agentId, displayName = m.AgentName } : null, createdAt = m.CreatedAt,
            },
            attempts = m.Attempts,
            error,
        });
    }

    /// <summary><c>followup.sent</c> / <c>followup.skipped</c> for the follow-ups a firing decided (in its transaction).</summary>
    public void FollowUpsDone(GatewayDbContext db, IReadOnlyList<Guid> ids, IReadOnlyList<FollowUpOutcome?> outcomes, IReadOnlyDictionary<Guid, FollowUp> rows)
    {
        if (!Wants(WebhookEventTypes.FollowUpSent) && !Wants(WebhookEventTypes.FollowUpSkipped))
        {
            return;
        }

        for (var i = 0; i < ids.Count; i++)
        {
            if (outcomes[i] is not { } outcome || !rows.TryGetValue(ids[i], out var f) || outcome.Status is not (FollowUpStatus.Sent or FollowUpStatus.Skipped))
            {
                continue;
            }

            var sent = outcome.Status == FollowUpStatus.Sent;
            Add(db, sent ? WebhookEventTypes.FollowUpSent : WebhookEventTypes.FollowUpSkipped, f.ConversationId ?? f.ContactId, new
            {
                id = f.Id,
                kind = f.Kind,
                rule = f.Rule,
                contactId = f.ContactId,
                orderId = f.OrderId,
                conversationId = f.ConversationId,
                messageId = sent ? f.Id : (Guid?)null,
                channel = outcome.Channel,
                reason = outcome.Reason,
                dueAt = f.DueAt,
            });
        }
    }

    /// <summary><c>contact.merged</c>: a supervisor merged one contact into another (ordered with the kept contact's events).</summary>
    public void ContactMerged(GatewayDbContext db, ContactMerge merge) => Add(db, WebhookEventTypes.ContactMerged, merge.IntoContactId, new
    {
        mergeId = merge.Id,
        fromContactId = merge.FromContactId,
        intoContactId = merge.IntoContactId,
        mergedBy = merge.AgentId,
        mergedAt = merge.MergedAt,
    });
}

using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

internal enum ConversationActionError { None, NotFound, NotOpen, BadRequest, Unavailable }

/// <summary>What an agent does to a conversation: reply and close.</summary>
internal sealed class ConversationService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    DeliveryService delivery,
    ConversationRouter router,
    GatewayEventBus events,
    ChannelHost channels,
    TimeProvider time,
    RoutingRules rules)
{
    public const int MaxReplyLength = 4000;

    /// <summary>Stores the reply as pending and wakes delivery; the agent sees its status change live.</summary>
    public async Task<(MessageDto? Message, ConversationActionError Error)> ReplyAsync(Guid conversationId, Agent agent, string text, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.FirstOrDefaultAsync(c => c.Id == conversationId && c.AssignedAgentId == agent.Id, cancellationToken);
        if (conversation is null)
        {
            return (null, ConversationActionError.NotFound);
        }

        if (conversation.Status != ConversationStatus.Assigned)
        {
            return (null, ConversationActionError.NotOpen);
        }

        var now = time.GetUtcNow();
        var message = new Message
        {
            Id = Guid.CreateVersion7(now),
            ConversationId = conversation.Id,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Out,
            Text = text,
            Status = MessageStatus.Pending,
            AgentId = agent.Id,
            AgentName = agent.DisplayName,
            NextAttemptAt = now,
            CreatedAt = now,
        };
        db.Messages.Add(message);
        conversation.LastMessageAt = now;
        await db.SaveChangesAsync(CancellationToken.None);
        delivery.Signal();
        var dto = message.ToDto(channels.ChannelTypeOf);
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, agent.Id, message.Id, dto));
        return (dto, ConversationActionError.None);
    }

    /// <summary>
    /// Hands the conversation to another agent (online or busy, with room) or back to a skill's queue, with
    /// a note the receiver sees on top of the full history. Any refusal leaves the conversation untouched.
    /// </summary>
    public async Task<(ConversationActionError Error, string? Reason)> TransferAsync(Guid conversationId, Agent from, string? toAgent, string? toSkill, string? note, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(toAgent) == string.IsNullOrWhiteSpace(toSkill))
        {
            return (ConversationActionError.BadRequest, "give exactly one of toAgent (a user name) or toSkill");
        }

        if (note?.Length > 1000)
        {
            return (ConversationActionError.BadRequest, "note is longer than 1000 characters");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == conversationId && c.AssignedAgentId == from.Id, cancellationToken);
        if (conversation is null)
        {
            return (ConversationActionError.NotFound, "no such conversation among yours");
        }

        if (conversation.Status != ConversationStatus.Assigned)
        {
            return (ConversationActionError.NotOpen, "the conversation is closed");
        }

        TransferError error;
        if (!string.IsNullOrWhiteSpace(toAgent))
        {
            var target = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.UserName == toAgent.Trim() && a.Enabled, cancellationToken);
            if (target is null)
            {
                return (ConversationActionError.BadRequest, $"there is no agent '{toAgent.Trim()}'");
            }

            if (target.Id == from.Id)
            {
                return (ConversationActionError.BadRequest, "the conversation is already yours");
            }

            error = await router.TransferToAgentAsync(conversationId, from, target, note);
            if (error == TransferError.TargetUnavailable)
            {
                return (ConversationActionError.Unavailable, $"{target.DisplayName} is not online or has no room for another conversation");
            }
        }
        else
        {
            var skill = toSkill!.Trim().ToLowerInvariant();
            var queues = rules.Current.Steps;
            if (!queues.ContainsKey(skill))
            {
                return (ConversationActionError.BadRequest, $"there is no skill queue '{toSkill.Trim()}'; queues are {string.Join(", ", queues.Keys)}");
            }

            error = await router.TransferToSkillAsync(conversationId, from, skill, conversation.Priority, conversation.CreatedAt, note);
        }

        return error == TransferError.NotAssigned ? (ConversationActionError.NotFound, "no such conversation among yours") : (ConversationActionError.None, null);
    }

    /// <summary>Sets or clears the contact's exclusive agent (专属客服), who gets their conversations first.</summary>
    public async Task<(ConversationActionError Error, string? Reason)> SetExclusiveAgentAsync(Guid contactId, string? agentUserName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Id == contactId, cancellationToken);
        if (contact is null)
        {
            return (ConversationActionError.NotFound, "no such contact");
        }

        Guid? agentId = null;
        if (!string.IsNullOrWhiteSpace(agentUserName))
        {
            agentId = await db.Agents.Where(a => a.UserName == agentUserName.Trim() && a.Enabled).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(cancellationToken);
            if (agentId is null)
            {
                return (ConversationActionError.BadRequest, $"there is no agent '{agentUserName.Trim()}'");
            }
        }

        contact.ExclusiveAgentId = agentId;
        await db.SaveChangesAsync(cancellationToken);
        return (ConversationActionError.None, null);
    }

    /// <summary>Closes the conversation and frees the agent's capacity for the next waiting one.</summary>
    public async Task<ConversationActionError> CloseAsync(Guid conversationId, Agent agent, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Conversations
            .Where(c => c.Id == conversationId && c.AssignedAgentId == agent.Id && c.Status == ConversationStatus.Assigned)
            .ExecuteUpdateAsync(s => s.SetProperty(c => c.Status, ConversationStatus.Closed).SetProperty(c => c.ClosedAt, time.GetUtcNow()), CancellationToken.None);
        if (rows == 0)
        {
            var exists = await db.Conversations.AnyAsync(c => c.Id == conversationId && c.AssignedAgentId == agent.Id, cancellationToken);
            return exists ? ConversationActionError.NotOpen : ConversationActionError.NotFound;
        }

        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Closed, conversationId, agent.Id));
        await router.ReleaseAsync(conversationId);
        return ConversationActionError.None;
    }
}

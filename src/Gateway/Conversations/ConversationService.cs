using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

internal enum ConversationActionError { None, NotFound, NotOpen }

/// <summary>What an agent does to a conversation: reply and close.</summary>
internal sealed class ConversationService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    DeliveryService delivery,
    ConversationRouter router,
    GatewayEventBus events,
    ChannelHost channels,
    TimeProvider time)
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
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, agent.Id, message.Id));
        return (message.ToDto(channels.ChannelTypeOf), ConversationActionError.None);
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

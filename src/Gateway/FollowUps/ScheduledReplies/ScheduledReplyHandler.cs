using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.FollowUps.ScheduledReplies;

/// <summary>
/// Sends a scheduled reply when it is due, as the agent's reply at that moment: on the conversation's reply channel (where
/// the customer wrote last), attributed to the agent, through delivery. The message's id is the follow-up's, and the firer
/// claims the row first, so however often it fires (two instances, a retry) it goes out once. It is skipped, with the
/// reason, when the agent could not reply now: the conversation closed or passed to someone else, the channel's window shut.
/// </summary>
internal sealed partial class ScheduledReplyHandler(
    ChannelRegistry channels, DeliveryService delivery, TimeProvider time, ILogger<ScheduledReplyHandler> logger) : IFollowUpKindHandler
{
    /// <summary>Later than this (the gateway was down), the reply is not sent: its moment has passed.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(1);

    public string Kind => FollowUpKinds.ScheduledReply;

    public async Task<FollowUpHandled> FireAsync(GatewayDbContext db, FollowUp followUp, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var conversation = followUp.ConversationId is { } id ? await db.Conversations.FirstOrDefaultAsync(c => c.Id == id, cancellationToken) : null;
        var agent = followUp.AgentId is { } agentId ? await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == agentId && a.Enabled, cancellationToken) : null;
        string? why = conversation is null ? "the conversation is gone"
            : agent is null ? "the agent who scheduled it is gone"
            : conversation.Status != ConversationStatus.Assigned ? "the conversation is closed"
            : conversation.AssignedAgentId != agent.Id ? "the conversation is no longer the scheduling agent's"
            : now - followUp.DueAt > StaleAfter ? "stale: the gateway got to it more than an hour late"
            : string.IsNullOrEmpty(followUp.Note) ? "no text"
            : null;
        if (why is null && channels.TryGetRunning(conversation!.LastInstanceId, out var channel) && channel.Plugin!.ReplyWindow is not null)
        {
            var current = (await ReplyChannels.ListAsync(db, channels, conversation, cancellationToken, now))
                .FirstOrDefault(c => c.Identity.InstanceId == conversation.LastInstanceId && c.Identity.ExternalId == conversation.LastExternalId);
            if (current.Identity is not null && ReplyChannels.WindowRefuses(current.Channel) is { } closed)
            {
                why = closed;
            }
        }

        if (why is not null)
        {
            return new(FollowUpOutcome.Skipped(why)) { Committed = () => LogSkipped(logger, followUp.Id, why) };
        }

        var message = new Message
        {
            Id = followUp.Id,
            ConversationId = conversation!.Id,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Out,
            Text = followUp.Note!,
            Status = MessageStatus.Pending,
            AgentId = agent!.Id,
            AgentName = agent.DisplayName,
            NextAttemptAt = now,
            CreatedAt = now,
        };
        db.Messages.Add(message);
        conversation.LastMessageAt = now;
        followUp.Channel = conversation.LastInstanceId;
        var dto = message.ToDto(channels.ChannelTypeOf);
        return new(FollowUpOutcome.Sent(conversation.LastInstanceId))
        {
            Events = [new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, agent.Id, message.Id, dto)],
            Committed = () =>
            {
                delivery.Signal();
                LogSent(logger, followUp.Id, conversation.Id);
            },
        };
    }

    [LoggerMessage(EventId = 7320, Level = LogLevel.Information, Message = "Scheduled reply {FollowUpId} handed to delivery in conversation {ConversationId}")]
    private static partial void LogSent(ILogger logger, Guid followUpId, Guid conversationId);

    [LoggerMessage(EventId = 7321, Level = LogLevel.Information, Message = "Scheduled reply {FollowUpId} not sent: {Reason}")]
    private static partial void LogSkipped(ILogger logger, Guid followUpId, string reason);
}

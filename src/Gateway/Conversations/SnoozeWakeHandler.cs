using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// Ends a timed snooze when its time comes: the conversation is back in its agent's active list (told live). A snooze the
/// agent changed or ended, or that the customer's message ended, is left alone.
/// </summary>
internal sealed partial class SnoozeWakeHandler(ILogger<SnoozeWakeHandler> logger) : IFollowUpKindHandler
{
    public string Kind => FollowUpKinds.SnoozeWake;

    public async Task<FollowUpHandled> FireAsync(GatewayDbContext db, FollowUp followUp, CancellationToken cancellationToken)
    {
        var conversation = followUp.ConversationId is { } id ? await db.Conversations.FirstOrDefaultAsync(c => c.Id == id, cancellationToken) : null;
        if (conversation is null || conversation.SnoozedAt is null || conversation.SnoozedUntil != followUp.DueAt)
        {
            return new(FollowUpOutcome.Skipped("no longer snoozed until then"));
        }

        conversation.SnoozedAt = null;
        conversation.SnoozedUntil = null;
        return new(new FollowUpOutcome(FollowUpStatus.Sent, "woken"))
        {
            Events = [new GatewayEvent(GatewayEventTypes.Woken, conversation.Id, conversation.AssignedAgentId)],
            Committed = () => LogWoken(logger, conversation.Id),
        };
    }

    [LoggerMessage(EventId = 7310, Level = LogLevel.Information, Message = "Conversation {ConversationId}: its snooze ended at its time")]
    private static partial void LogWoken(ILogger logger, Guid conversationId);
}

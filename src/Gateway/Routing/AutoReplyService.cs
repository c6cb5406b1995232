using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Tells a customer whom nobody can serve now when someone will: outside business hours, when the
/// shop opens next; inside them, when no agent able to help is online. Once per conversation, through
/// the channel the customer wrote on; the conversation keeps waiting and is served first when agents arrive.
/// </summary>
internal sealed partial class AutoReplyService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    BusinessHours hours,
    RedisRoutingStore store,
    ConversationRouter router,
    DeliveryService delivery,
    TimeProvider time,
    ILogger<AutoReplyService> logger)
{
    public async Task SendIfNeededAsync(Guid conversationId, string skill)
    {
        var now = time.GetUtcNow();
        string? text = null;
        if (!hours.IsOpen(now))
        {
            var next = hours.NextOpening(now);
            text = hours.Options.ClosedReply.Replace("{next}", next is { } opening ? hours.Describe(opening) : "our next opening");
        }
        else if (await store.GetAvailableAgentCountAsync(skill) == 0)
        {
            text = hours.Options.NoAgentReply;
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return; // open with agents able to help, or the shop turned this reply off (empty text)
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var conversation = await db.Conversations.FirstOrDefaultAsync(c => c.Id == conversationId);
        if (conversation is null || conversation.Status != ConversationStatus.Waiting
            || await db.Messages.AnyAsync(m => m.ConversationId == conversationId && m.Direction == MessageDirection.Out && m.AgentId == null))
        {
            return;
        }

        var (position, wait) = await router.GetQueuePositionAsync(conversationId, conversation.Skill);
        text = text
            .Replace("{position}", position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-")
            .Replace("{wait}", wait is { } w ? $"{Math.Ceiling(w.TotalMinutes):0} min" : "-");
        db.Messages.Add(new Message
        {
            Id = Ids.NewVersion7(now),
            ConversationId = conversationId,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Out,
            Text = text,
            Status = MessageStatus.Pending,
            AgentName = hours.Options.SenderName,
            NextAttemptAt = now,
            CreatedAt = now,
        });
        await db.SaveChangesAsync();
        delivery.Signal();
        LogSent(logger, conversationId, hours.IsOpen(now) ? "no agent available" : "closed");
    }

    [LoggerMessage(EventId = 3300, Level = LogLevel.Information, Message = "Auto-reply queued for conversation {ConversationId} ({Reason})")]
    private static partial void LogSent(ILogger logger, Guid conversationId, string reason);
}

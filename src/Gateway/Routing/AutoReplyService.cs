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
    FollowUps.FollowUpSettings shop,
    TimeProvider time,
    ILogger<AutoReplyService> logger)
{
    public async Task SendIfNeededAsync(Guid conversationId, string skill)
    {
        var now = time.GetUtcNow();
        var closed = !hours.IsOpen(now);
        if (!closed && await store.GetAvailableAgentCountAsync(skill) != 0)
        {
            return; // open with agents able to help
        }

        await using var db = await dbFactory.CreateDbContextAsync();
        var conversation = await db.Conversations.FirstOrDefaultAsync(c => c.Id == conversationId);
        if (conversation is null || conversation.Status != ConversationStatus.Waiting
            || await db.Messages.AnyAsync(m => m.ConversationId == conversationId && m.Direction == MessageDirection.Out && m.AgentId == null))
        {
            return;
        }

        // In the customer's language only: a Chinese customer gets Chinese, an English one English.
        var language = Conversations.CustomerLanguage.Of(conversation.Language, shop.Current.DefaultLanguage);
        string text;
        if (closed)
        {
            var next = hours.NextOpening(now);
            text = hours.Options.ClosedReplyIn(language)
                .Replace("{next}", next is { } opening ? hours.Describe(opening, language) : language == "zh" ? "下一个工作时间" : "our next opening");
        }
        else
        {
            text = hours.Options.NoAgentReplyIn(language);
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return; // the shop turned this reply off (empty text)
        }

        var (position, wait) = await router.GetQueuePositionAsync(conversationId, conversation.Skill);
        text = text
            .Replace("{position}", position?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-")
            .Replace("{wait}", wait is { } w ? $"{Math.Ceiling(w.TotalMinutes):0}{(language == "zh" ? " 分钟" : " min")}" : "-");
        db.Messages.Add(new Message
        {
            Id = Ids.NewVersion7(now),
            ConversationId = conversationId,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Out,
            Text = text,
            Status = MessageStatus.Pending,
            AgentName = hours.Options.SenderNameIn(language),
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

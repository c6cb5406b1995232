using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>Reads conversations for agents: one contact's whole history across channels.</summary>
internal sealed class ConversationQueries(IDbContextFactory<GatewayDbContext> dbFactory, ChannelRegistry channels, TimeProvider time)
{
    /// <summary>Most recent messages of a contact shown with a conversation.</summary>
    public const int HistoryLimit = 500;

    public async Task<IReadOnlyList<ConversationDto>> ListAssignedAsync(Guid agentId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Conversations.AsNoTracking()
            .Where(c => c.AssignedAgentId == agentId && c.Status == ConversationStatus.Assigned)
            .Include(c => c.Contact)
            .Select(c => new
            {
                Conversation = c,
                LastInboundAt = db.InboundHeads.Where(h => h.ConversationId == c.Id).Select(h => (DateTimeOffset?)h.LastMessageAt).FirstOrDefault(),
                LastOtherAt = db.Messages.Where(m => m.ConversationId == c.Id && m.Direction != MessageDirection.In)
                    .OrderByDescending(m => m.CreatedAt).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        foreach (var row in rows)
        {
            WithLastMessage(row.Conversation, ConversationMessages.Latest(row.LastInboundAt, row.LastOtherAt));
        }

        var ids = rows.Select(r => r.Conversation.Id).ToList();
        var unread = await ConversationMessages.UnreadAsync(db, ids, MaxUnreadCount, cancellationToken);
        var previews = await CustomerPreviewsAsync(db, ids, cancellationToken);
        return rows.Select(r => r.Conversation).OrderByDescending(c => c.LastMessageAt).Select(c => c.ToDto(c.Contact!, channels.ChannelTypeOf) with
        {
            Subject = c.Subject,
            UnreadCount = unread.GetValueOrDefault(c.Id),
            LastCustomerMessage = previews.GetValueOrDefault(c.Id),
        }).ToList();
    }

    // ---------------------------------------------------------------- unread counts and previews

    /// <summary>The list's unread count stops here ("99+" on the desk).</summary>
    internal const int MaxUnreadCount = 99;

    /// <summary>How much of the customer's newest message the list shows.</summary>
    internal const int PreviewLength = 80;

    /// <summary>Each conversation's newest customer message as the list shows it: its head (one seek each), cut short; a label for a file alone.</summary>
    private static async Task<Dictionary<Guid, string>> CustomerPreviewsAsync(GatewayDbContext db, List<Guid> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return [];
        }

        var heads = await db.InboundHeads.AsNoTracking()
            .Where(h => ids.Contains(h.ConversationId))
            .Join(db.Messages, h => h.LastMessageId, m => m.Id, (h, m) => new { h.ConversationId, m.Id, m.Text })
            .ToListAsync(cancellationToken);
        var bare = heads.Where(h => string.IsNullOrWhiteSpace(h.Text)).Select(h => h.Id).ToList();
        var files = await Attachments.AttachmentService.OfMessagesAsync(db, bare, cancellationToken);
        var kinds = bare.Count == 0 ? [] : await db.MessageContents.AsNoTracking()
            .Where(x => bare.Contains(x.MessageId) && x.UnsupportedKind != null)
            .ToDictionaryAsync(x => x.MessageId, x => x.UnsupportedKind!, cancellationToken);
        return heads.ToDictionary(h => h.ConversationId, h => Preview(h.Text, files.GetValueOrDefault(h.Id), kinds.GetValueOrDefault(h.Id)));
    }

    internal static string Preview(string text, List<Attachment>? files, string? unsupportedKind)
    {
        var line = string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        if (line.Length > 0)
        {
            return line.Length <= PreviewLength ? line : line[..(char.IsHighSurrogate(line[PreviewLength - 1]) ? PreviewLength - 1 : PreviewLength)] + "…";
        }

        if (files is { Count: > 0 })
        {
            return files.All(f => f.ContentType.StartsWith("image/", StringComparison.OrdinalIgnoreCase)) ? "[图片 photo]" : "[文件 file]";
        }

        return unsupportedKind is null ? "" : $"[{unsupportedKind}]";
    }

    public async Task<ConversationDto?> GetAsync(Guid conversationId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.AsNoTracking().Include(c => c.Contact)
            .FirstOrDefaultAsync(c => c.Id == conversationId, cancellationToken);
        if (conversation is null)
        {
            return null;
        }

        // The contact's history across all their conversations and channels: the newest customer messages
        // along their conversations' chains, and the newest replies and notes through the conversation index.
        var contactId = conversation.ContactId;
        var conversationIds = await db.Conversations.Where(c => c.ContactId == contactId).Select(c => c.Id).ToListAsync(cancellationToken);
        var inbound = await ConversationMessages.InboundAsync(db, conversationIds, HistoryLimit, cancellationToken);
        var others = await db.Messages.AsNoTracking()
            .Where(m => m.Direction != MessageDirection.In && db.Conversations.Any(c => c.Id == m.ConversationId && c.ContactId == contactId))
            .OrderByDescending(m => m.CreatedAt)
            .Take(HistoryLimit)
            .ToListAsync(cancellationToken);
        var messages = inbound.Concat(others)
            .OrderByDescending(m => m.CreatedAt)
            .ThenByDescending(m => m.Direction) // at the same instant the customer's message comes first
            .Take(HistoryLimit)
            .ToList();
        messages.Reverse();
        WithLastMessage(conversation, await ConversationMessages.LastMessageAtAsync(db, conversationId, cancellationToken));
        var replyChannels = await ReplyChannels.ListAsync(db, channels, conversation, cancellationToken, time.GetUtcNow());
        var extras = await MessageExtras.LoadAsync(db, messages.Select(m => m.Id).ToList(), cancellationToken);
        return conversation.ToDto(
            conversation.Contact!, channels.ChannelTypeOf, MessageExtras.ToDtos(messages, channels.ChannelTypeOf, extras), replyChannels.Select(c => c.Channel).ToList()) with
        {
            Subject = conversation.Subject,
        };
    }

    /// <summary>Shows the newest message's time when the row's is older.</summary>
    internal static void WithLastMessage(Conversation conversation, DateTimeOffset? lastMessageAt)
    {
        if (lastMessageAt > conversation.LastMessageAt)
        {
            conversation.LastMessageAt = lastMessageAt.Value;
        }
    }

    public async Task<MessageDto?> GetMessageAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var message = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == messageId, cancellationToken);
        return message?.ToDto(channels.ChannelTypeOf);
    }

    public async Task<IReadOnlyList<MessageDto>> ListFailedAsync(Guid agentId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Messages.AsNoTracking()
            .Where(m => m.Status == MessageStatus.Failed && m.AgentId == agentId)
            .OrderByDescending(m => m.CreatedAt)
            .Take(200)
            .ToListAsync(cancellationToken);
        return rows.Select(m => m.ToDto(channels.ChannelTypeOf)).ToList();
    }
}

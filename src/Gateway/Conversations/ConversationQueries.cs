using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>Reads conversations for agents: one contact's whole history across channels.</summary>
internal sealed class ConversationQueries(IDbContextFactory<GatewayDbContext> dbFactory, ChannelHost channels)
{
    /// <summary>Most recent messages of a contact shown with a conversation.</summary>
    public const int HistoryLimit = 500;

    public async Task<IReadOnlyList<ConversationDto>> ListAssignedAsync(Guid agentId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = await db.Conversations.AsNoTracking()
            .Where(c => c.AssignedAgentId == agentId && c.Status == ConversationStatus.Assigned)
            .Include(c => c.Contact)
            .ToListAsync(cancellationToken);
        return rows.OrderByDescending(c => c.LastMessageAt).Select(c => c.ToDto(c.Contact!, channels.ChannelTypeOf)).ToList();
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

        // The contact's history across all their conversations and channels.
        var messages = await db.Messages.AsNoTracking()
            .Where(m => db.Conversations.Any(c => c.Id == m.ConversationId && c.ContactId == conversation.ContactId))
            .OrderByDescending(m => m.CreatedAt)
            .ThenByDescending(m => m.Direction) // at the same instant the customer's message comes first
            .Take(HistoryLimit)
            .ToListAsync(cancellationToken);
        messages.Reverse();
        return conversation.ToDto(conversation.Contact!, channels.ChannelTypeOf, messages.Select(m => m.ToDto(channels.ChannelTypeOf)).ToList());
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

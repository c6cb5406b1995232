using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// History for one channel instance's customers. A customer sees only the messages they exchanged
/// through this instance as this identity: a phone number typed into a widget is not proof of owning
/// it, so the contact's messages on other channels stay with the agents.
/// </summary>
internal sealed class ChannelConversationHistory(IDbContextFactory<GatewayDbContext> dbFactory, string instanceId) : IConversationHistory
{
    public async Task<ConversationHistory?> GetLatestAsync(string externalId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        // The identity's contact, then the contact's newest conversation this identity wrote or was
        // answered in (one conversation is open at a time, so it holds the identity's latest message).
        var contactId = await db.ChannelIdentities
            .Where(i => i.InstanceId == instanceId && i.ExternalId == externalId)
            .Select(i => (Guid?)i.ContactId)
            .FirstOrDefaultAsync(cancellationToken);
        var mine = Mine(db, externalId);
        var latest = contactId is null ? null : await db.Conversations
            .Where(c => c.ContactId == contactId && mine.Any(m => m.ConversationId == c.Id))
            .OrderByDescending(c => c.CreatedAt)
            .Select(c => (Guid?)c.Id)
            .FirstOrDefaultAsync(cancellationToken);
        return latest is { } id ? await LoadAsync(db, externalId, id, cancellationToken) : null;
    }

    public async Task<ConversationHistory?> GetAsync(string externalId, Guid conversationId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var visible = await Mine(db, externalId).Where(m => m.ConversationId == conversationId).AnyAsync(cancellationToken);
        return visible ? await LoadAsync(db, externalId, conversationId, cancellationToken) : null;
    }

    // Internal notes between agents are never shown to the customer.
    private IQueryable<Message> Mine(GatewayDbContext db, string externalId) =>
        db.Messages.Where(m => m.InstanceId == instanceId && m.ExternalId == externalId && m.Direction != MessageDirection.Note);

    private async Task<ConversationHistory> LoadAsync(GatewayDbContext db, string externalId, Guid conversationId, CancellationToken cancellationToken)
    {
        var status = await db.Conversations.Where(c => c.Id == conversationId).Select(c => c.Status).FirstAsync(cancellationToken);
        var messages = await Mine(db, externalId).AsNoTracking()
            .Where(m => m.ConversationId == conversationId)
            .OrderBy(m => m.CreatedAt)
            .ThenBy(m => m.Direction)
            .Select(m => new { m.Id, m.Direction, m.Text, m.AgentName, m.CreatedAt })
            .ToListAsync(cancellationToken);
        return new ConversationHistory(
            conversationId,
            status.ToApi(),
            messages.Select(m => new HistoryMessage(m.Id, m.Direction.ToApi(), m.Text, m.AgentName, m.CreatedAt)).ToList());
    }
}

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

        // The identity's contact.
        var contactId = await db.ChannelIdentities
            .Where(i => i.InstanceId == instanceId && i.ExternalId == externalId)
            .Select(i => (Guid?)i.ContactId)
            .FirstOrDefaultAsync(cancellationToken);
        if (contactId is null)
        {
            return null;
        }

        // The contact's newest conversation this identity wrote or was answered in (one conversation is
        // open at a time, so it holds the identity's latest message).
        var conversations = await db.Conversations
            .Where(c => c.ContactId == contactId)
            .OrderByDescending(c => c.CreatedAt)
            .Select(c => c.Id)
            .ToListAsync(cancellationToken);
        foreach (var id in conversations)
        {
            if (await LoadAsync(db, externalId, id, cancellationToken) is { } history)
            {
                return history;
            }
        }

        return null;
    }

    public async Task<ConversationHistory?> GetAsync(string externalId, Guid conversationId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await LoadAsync(db, externalId, conversationId, cancellationToken);
    }

    // Internal notes between agents are never shown to the customer.
    private bool IsMine(Message m, string externalId) =>
        m.InstanceId == instanceId && m.ExternalId == externalId && m.Direction != MessageDirection.Note;

    /// <summary>The conversation's messages this identity exchanged, or null when there are none (not theirs to see).</summary>
    private async Task<ConversationHistory?> LoadAsync(GatewayDbContext db, string externalId, Guid conversationId, CancellationToken cancellationToken)
    {
        var inbound = await ConversationMessages.InboundAsync(db, [conversationId], limit: null, cancellationToken);
        var replies = await ConversationMessages.Others(db, conversationId).AsNoTracking()
            .Where(m => m.InstanceId == instanceId && m.ExternalId == externalId && m.Direction != MessageDirection.Note)
            .ToListAsync(cancellationToken);
        inbound.Reverse(); // oldest first, so that messages stored together keep their order in the stable sort
        var messages = inbound.Where(m => IsMine(m, externalId)).Concat(replies)
            .OrderBy(m => m.CreatedAt)
            .ThenBy(m => m.Direction)
            .ToList();
        if (messages.Count == 0)
        {
            return null;
        }

        var status = await db.Conversations.Where(c => c.Id == conversationId).Select(c => c.Status).FirstAsync(cancellationToken);
        return new ConversationHistory(
            conversationId,
            status.ToApi(),
            messages.Select(m => new HistoryMessage(m.Id, m.Direction.ToApi(), m.Text, m.AgentName, m.CreatedAt)).ToList());
    }
}

using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// History for one channel instance's customers. A customer sees the conversations they took part in
/// through this instance as this identity (wrote in them, or were answered there): their own messages of
/// this identity, and every reply of the conversation, whichever channel delivered it (a reply sent by SMS
/// shows in the web chat too, marked with <see cref="HistoryMessage.SentVia"/>). What the customer wrote on
/// other channels and conversations they did not take part in stay with the agents.
/// </summary>
internal sealed class ChannelConversationHistory(IDbContextFactory<GatewayDbContext> dbFactory, string instanceId, Func<string, string?>? channelTypeOf = null) : IConversationHistory
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

    private bool IsThisIdentity(Message m, string externalId) => m.InstanceId == instanceId && m.ExternalId == externalId;

    /// <summary>The conversation's messages this identity may see, or null when it took no part in it (not theirs to see).</summary>
    private async Task<ConversationHistory?> LoadAsync(GatewayDbContext db, string externalId, Guid conversationId, CancellationToken cancellationToken)
    {
        var inbound = await ConversationMessages.InboundAsync(db, [conversationId], limit: null, cancellationToken);
        // Replies only: internal notes between agents are never shown to the customer.
        var replies = await ConversationMessages.Others(db, conversationId).AsNoTracking()
            .Where(m => m.Direction == MessageDirection.Out)
            .ToListAsync(cancellationToken);
        inbound.Reverse(); // oldest first, so that messages stored together keep their order in the stable sort
        var own = inbound.Where(m => IsThisIdentity(m, externalId)).ToList();
        if (own.Count == 0 && !replies.Any(m => IsThisIdentity(m, externalId)))
        {
            return null;
        }

        // Replies through other channels once they went out (a failed SMS the agent sent again here shows once).
        var messages = own
            .Concat(replies.Where(m => IsThisIdentity(m, externalId) || m.Status is MessageStatus.Sent or MessageStatus.Delivered))
            .OrderBy(m => m.CreatedAt)
            .ThenBy(m => m.Direction)
            .ToList();

        var row = await db.Conversations.Where(c => c.Id == conversationId).Select(c => new { c.Status, c.AgentReadAt }).FirstAsync(cancellationToken);
        var status = row.Status;
        // The shop's own messages that offer answers (a survey's 1-5), so a customer who returns still sees the buttons.
        var shops = messages.Where(m => m.Direction == MessageDirection.Out && m.AgentId == null).Select(m => m.Id).ToList();
        var surveys = shops.Count == 0 ? [] : await db.FollowUps
            .Where(f => shops.Contains(f.Id) && f.Kind == FollowUpKinds.Survey)
            .Select(f => f.Id)
            .ToListAsync(cancellationToken);
        var files = await Attachments.AttachmentService.OfMessagesAsync(db, messages.Select(m => m.Id).ToList(), cancellationToken);
        return new ConversationHistory(
            conversationId,
            status.ToApi(),
            messages.Select(m => new HistoryMessage(m.Id, m.Direction.ToApi(), m.Text, m.AgentName, m.CreatedAt)
            {
                SentVia = IsThisIdentity(m, externalId) ? null : channelTypeOf?.Invoke(m.InstanceId) ?? m.InstanceId,
                Choices = surveys.Contains(m.Id) ? SurveyAnswers.Choices : null,
                Attachments = files.TryGetValue(m.Id, out var own) ? own.Select(Attachments.AttachmentService.ToContract).ToList() : null,
            }).ToList())
        {
            ReadByAgentUpTo = row.AgentReadAt,
        };
    }
}

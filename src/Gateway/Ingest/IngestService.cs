using ChatGateway.Abstractions;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// Stores inbound messages: dedupe by (instance, provider message id), resolve the contact (same
/// phone or email is the same contact), open or reuse the conversation, commit, then hand the
/// conversation to routing. Returns only after the commit, so channels acknowledge providers after it.
/// </summary>
internal sealed partial class IngestService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    ConversationRouter router,
    GatewayEventBus events,
    AutoReplyService autoReply,
    RoutingRules rules,
    Plugins.ChannelHost channels,
    IOptions<IngestOptions> ingestOptions,
    IOptions<RoutingOptions> routingOptions,
    TimeProvider time,
    ILogger<IngestService> logger)
{
    // One writer at a time: SQLite takes one anyway, and it closes the race between two copies of the
    // same provider message or two first messages of the same new customer.
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly HashSet<string> _vipKeys = routingOptions.Value.VipContacts
        .Select(v => ContactKeys.NormalizeEmail(v) ?? ContactKeys.NormalizePhone(v))
        .OfType<string>()
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    public async Task<InboundResult> AcceptAsync(string instanceId, InboundMessage message, CancellationToken cancellationToken)
    {
        Validate(message);
        var phone = ContactKeys.NormalizePhone(message.Sender.Phone);
        var email = ContactKeys.NormalizeEmail(message.Sender.Email);

        Conversation conversation;
        Message stored;
        bool isNewConversation;
        await _writeGate.WaitAsync(cancellationToken);
        try
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var existing = await db.Messages.AsNoTracking()
                .Where(m => m.InstanceId == instanceId && m.Direction == MessageDirection.In && m.ProviderMessageId == message.ProviderMessageId)
                .Select(m => new { m.Id, m.ConversationId })
                .FirstOrDefaultAsync(cancellationToken);
            if (existing is not null)
            {
                LogDuplicate(logger, instanceId, existing.Id);
                return new InboundResult(existing.Id, existing.ConversationId, Duplicate: true);
            }

            var now = time.GetUtcNow();
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var contact = await ResolveContactAsync(db, instanceId, message.Sender, phone, email, now, cancellationToken);

            var open = await db.Conversations
                .Where(c => c.ContactId == contact.Id && c.Status != ConversationStatus.Closed)
                .OrderByDescending(c => c.CreatedAt)
                .FirstOrDefaultAsync(cancellationToken);
            isNewConversation = open is null;
            var classifier = rules.Current.Classifier;
            if (open is null)
            {
                var classification = classifier.Classify(message.Text, contact.IsVip, channels.ChannelTypeOf(instanceId));
                open = new Conversation
                {
                    Id = Guid.CreateVersion7(now),
                    ContactId = contact.Id,
                    Status = ConversationStatus.Waiting,
                    Skill = classification.Skill,
                    Priority = classification.Priority,
                    RoutingReason = classification.Reason,
                    Language = classification.Language,
                    LastInstanceId = instanceId,
                    LastExternalId = message.Sender.ExternalId,
                    CreatedAt = now,
                    StepEnteredAt = now,
                    LastMessageAt = now,
                };
                db.Conversations.Add(open);
            }
            else
            {
                open.LastInstanceId = instanceId;
                open.LastExternalId = message.Sender.ExternalId;
                open.LastMessageAt = now;
            }

            open.Tags = classifier.AddTags(open.Tags, message.Text);

            stored = new Message
            {
                Id = Guid.CreateVersion7(now),
                ConversationId = open.Id,
                InstanceId = instanceId,
                ExternalId = message.Sender.ExternalId,
                Direction = MessageDirection.In,
                Text = message.Text,
                Status = MessageStatus.Received,
                ProviderMessageId = message.ProviderMessageId,
                CreatedAt = now,
            };
            db.Messages.Add(stored);
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
            conversation = open;
        }
        finally
        {
            _writeGate.Release();
        }

        LogStored(logger, instanceId, stored.Id, conversation.Id);
        await HandOffAsync(conversation, stored, isNewConversation);
        return new InboundResult(stored.Id, conversation.Id, Duplicate: false);
    }

    private async Task HandOffAsync(Conversation conversation, Message stored, bool isNew)
    {
        // The message is committed; a failed hand-off is repaired by RoutingRecoveryService, never lost.
        try
        {
            if (isNew || conversation.Status == ConversationStatus.Waiting)
            {
                var preferred = await PreferredAgentAsync(conversation);
                var taken = await router.EnqueueAsync(conversation.Id, conversation.Skill, conversation.Priority, conversation.CreatedAt, preferred, channels.ChannelTypeOf(conversation.LastInstanceId));
                if (!taken && isNew)
                {
                    await autoReply.SendIfNeededAsync(conversation.Id, conversation.Skill);
                }
            }

            if (conversation.Status == ConversationStatus.Assigned && conversation.AssignedAgentId is { } agentId)
            {
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, agentId, stored.Id));
            }
        }
        catch (Exception ex)
        {
            LogHandOffFailed(logger, ex, conversation.Id);
        }
    }

    /// <summary>The contact's exclusive agent, else the agent who last served them within the sticky window.</summary>
    private async Task<Guid?> PreferredAgentAsync(Conversation conversation)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        var exclusive = await db.Contacts.Where(c => c.Id == conversation.ContactId).Select(c => c.ExclusiveAgentId).FirstOrDefaultAsync();
        if (exclusive is not null)
        {
            return exclusive;
        }

        var days = routingOptions.Value.StickyDays;
        if (days == 0)
        {
            return null;
        }

        var since = time.GetUtcNow().AddDays(-days);
        return await db.Conversations
            .Where(c => c.ContactId == conversation.ContactId && c.Id != conversation.Id && c.AssignedAgentId != null && c.ClosedAt != null && c.ClosedAt >= since)
            .OrderByDescending(c => c.ClosedAt)
            .Select(c => c.AssignedAgentId)
            .FirstOrDefaultAsync();
    }

    private void Validate(InboundMessage message)
    {
        if (string.IsNullOrWhiteSpace(message.ProviderMessageId) || message.ProviderMessageId.Length > 200)
        {
            throw new InboundRejectedException("provider message id is required (at most 200 characters)");
        }

        if (string.IsNullOrWhiteSpace(message.Sender?.ExternalId) || message.Sender.ExternalId.Length > 200)
        {
            throw new InboundRejectedException("sender id is required (at most 200 characters)");
        }

        if (string.IsNullOrWhiteSpace(message.Text))
        {
            throw new InboundRejectedException("message text is empty");
        }

        var max = ingestOptions.Value.MaxTextLength;
        if (message.Text.Length > max)
        {
            throw new InboundRejectedException($"message is {message.Text.Length} characters; the limit is {max}");
        }
    }

    private async Task<Contact> ResolveContactAsync(
        GatewayDbContext db, string instanceId, ChannelSender sender, string? phone, string? email, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var identity = await db.ChannelIdentities.Include(i => i.Contact)
            .FirstOrDefaultAsync(i => i.InstanceId == instanceId && i.ExternalId == sender.ExternalId, cancellationToken);
        var byKey = await FindByKeysAsync(db, phone, email, cancellationToken);

        if (identity is not null)
        {
            var contact = identity.Contact!;
            if (byKey is not null && byKey.Id != contact.Id)
            {
                // The customer told us a phone or email another contact has: they are one person.
                await MergeAsync(db, from: contact, into: byKey, cancellationToken);
                contact = byKey;
            }

            Fill(contact, sender, phone, email);
            return contact;
        }

        var owner = byKey ?? new Contact { Id = Guid.CreateVersion7(now), CreatedAt = now };
        if (byKey is null)
        {
            db.Contacts.Add(owner);
        }

        Fill(owner, sender, phone, email);
        db.ChannelIdentities.Add(new ChannelIdentity { Id = Guid.CreateVersion7(now), ContactId = owner.Id, InstanceId = instanceId, ExternalId = sender.ExternalId, CreatedAt = now });
        return owner;
    }

    private void Fill(Contact contact, ChannelSender sender, string? phone, string? email)
    {
        contact.Phone ??= phone;
        contact.Email ??= email;
        if (string.IsNullOrWhiteSpace(contact.DisplayName) && !string.IsNullOrWhiteSpace(sender.DisplayName))
        {
            contact.DisplayName = sender.DisplayName.Trim()[..Math.Min(200, sender.DisplayName.Trim().Length)];
        }

        contact.IsVip |= (contact.Phone is not null && _vipKeys.Contains(contact.Phone)) || (contact.Email is not null && _vipKeys.Contains(contact.Email));
    }

    private static async Task<Contact?> FindByKeysAsync(GatewayDbContext db, string? phone, string? email, CancellationToken cancellationToken)
    {
        if (phone is not null)
        {
            var byPhone = await db.Contacts.OrderBy(c => c.CreatedAt).FirstOrDefaultAsync(c => c.Phone == phone, cancellationToken);
            if (byPhone is not null)
            {
                return byPhone;
            }
        }

        return email is null ? null : await db.Contacts.OrderBy(c => c.CreatedAt).FirstOrDefaultAsync(c => c.Email == email, cancellationToken);
    }

    private static async Task MergeAsync(GatewayDbContext db, Contact from, Contact into, CancellationToken cancellationToken)
    {
        await db.ChannelIdentities.Where(i => i.ContactId == from.Id).ForEachAsync(i => i.ContactId = into.Id, cancellationToken);
        await db.Conversations.Where(c => c.ContactId == from.Id).ForEachAsync(c => c.ContactId = into.Id, cancellationToken);
        into.Phone ??= from.Phone;
        into.Email ??= from.Email;
        into.DisplayName ??= from.DisplayName;
        into.IsVip |= from.IsVip;
        db.Contacts.Remove(from);
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Stored inbound message {MessageId} from instance {InstanceId} in conversation {ConversationId}")]
    private static partial void LogStored(ILogger logger, string instanceId, Guid messageId, Guid conversationId);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Redelivered message on instance {InstanceId} ignored (stored before as {MessageId})")]
    private static partial void LogDuplicate(ILogger logger, string instanceId, Guid messageId);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Hand-off of conversation {ConversationId} to routing failed; recovery will requeue it")]
    private static partial void LogHandOffFailed(ILogger logger, Exception exception, Guid conversationId);
}

/// <summary>The inbound sink of one channel instance.</summary>
internal sealed class InstanceInboundSink(IngestService ingest, string instanceId) : IInboundSink
{
    public Task<InboundResult> AcceptAsync(InboundMessage message, CancellationToken cancellationToken) =>
        ingest.AcceptAsync(instanceId, message, cancellationToken);
}

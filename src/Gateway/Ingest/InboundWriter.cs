using System.Threading.Channels;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Ingest;

/// <summary>An inbound message waiting for the writer, with the caller's completion.</summary>
internal sealed record PendingInbound(string InstanceId, string? ChannelType, InboundMessage Message, string? Phone, string? Email)
{
    public TaskCompletionSource<Ingested> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>The caller's answer, and what routing needs once the message is committed (none for a redelivery).</summary>
internal sealed record Ingested(InboundResult Result, RoutingHandOff? HandOff);

internal sealed record RoutingHandOff(
    Guid ConversationId, string Skill, int Priority, DateTimeOffset CreatedAt, ConversationStatus Status, Guid? AssignedAgentId,
    string? ChannelType, bool IsNew, Guid? PreferredAgent);

/// <summary>
/// The one writer of inbound messages. Callers queue a message and wait; the writer takes everything
/// queued (up to <see cref="IngestOptions.MaxBatch"/>) and stores it in one transaction: one fsync for
/// the batch instead of one per message (group commit), with the lookups (dedupe, contacts, open
/// conversations) done once per batch. Every caller returns only after its message is committed. A
/// batch that fails is retried message by message, so one bad message cannot fail the others.
/// One writer also closes the race between two copies of one provider message, or two first messages
/// of one new customer.
/// </summary>
internal sealed partial class InboundWriter : IAsyncDisposable
{
    private readonly IDbContextFactory<GatewayDbContext> _dbFactory;
    private readonly RoutingRules _rules;
    private readonly IOptions<IngestOptions> _options;
    private readonly IOptions<RoutingOptions> _routingOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<InboundWriter> _logger;
    private readonly HashSet<string> _vipKeys;
    private readonly Channel<PendingInbound> _queue;
    private readonly Task _loop;

    public InboundWriter(
        IDbContextFactory<GatewayDbContext> dbFactory,
        RoutingRules rules,
        IOptions<IngestOptions> options,
        IOptions<RoutingOptions> routingOptions,
        TimeProvider time,
        ILogger<InboundWriter> logger)
    {
        _dbFactory = dbFactory;
        _rules = rules;
        _options = options;
        _routingOptions = routingOptions;
        _time = time;
        _logger = logger;
        _vipKeys = routingOptions.Value.VipContacts
            .Select(v => ContactKeys.NormalizeEmail(v) ?? ContactKeys.NormalizePhone(v))
            .OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        _queue = Channel.CreateBounded<PendingInbound>(new BoundedChannelOptions(options.Value.MaxQueued) { SingleReader = true });
        _loop = Task.Run(RunAsync);
    }

    public async Task<Ingested> WriteAsync(PendingInbound pending, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(pending, cancellationToken);

        // Once queued the message is stored whatever the caller does; a caller that gives up is told so,
        // and the provider's redelivery is then recognised as a duplicate.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        var batch = new List<PendingInbound>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            while (batch.Count < _options.Value.MaxBatch && _queue.Reader.TryRead(out var item))
            {
                batch.Add(item);
            }

            await WriteBatchAsync(batch);
            batch.Clear();
        }
    }

    private async Task WriteBatchAsync(List<PendingInbound> batch)
    {
        try
        {
            Complete(await StoreAsync(batch));
            return;
        }
        catch (Exception ex) when (batch.Count > 1)
        {
            LogBatchFailed(_logger, ex, batch.Count);
        }
        catch (Exception ex)
        {
            // A lone message that failed: once more (another process may have stored its twin), then give up.
            try
            {
                Complete(await StoreAsync(batch));
            }
            catch (Exception again)
            {
                LogFailed(_logger, ex, batch[0].InstanceId);
                batch[0].Completion.TrySetException(again);
            }

            return;
        }

        foreach (var item in batch)
        {
            await WriteBatchAsync([item]);
        }
    }

    private static void Complete(List<(PendingInbound Item, Ingested Result)> results)
    {
        foreach (var (item, result) in results)
        {
            item.Completion.TrySetResult(result);
        }
    }

    private async Task<List<(PendingInbound, Ingested)>> StoreAsync(List<PendingInbound> batch)
    {
        await using var db = await _dbFactory.CreateDbContextAsync();
        var lookup = await BatchLookup.LoadAsync(db, batch);
        var classifier = _rules.Current.Classifier;
        var now = _time.GetUtcNow();
        var stored = new List<(PendingInbound Item, Conversation Conversation, Message Message, bool IsNew, Contact Contact)>();
        var results = new List<(PendingInbound, Ingested)>();

        await using var transaction = await db.Database.BeginTransactionAsync();
        foreach (var item in batch)
        {
            var message = item.Message;
            if (lookup.Messages.TryGetValue((item.InstanceId, message.ProviderMessageId), out var existing))
            {
                LogDuplicate(_logger, item.InstanceId, existing.MessageId);
                results.Add((item, new Ingested(new InboundResult(existing.MessageId, existing.ConversationId, Duplicate: true), null)));
                continue;
            }

            var contact = await ResolveContactAsync(db, lookup, item, now);
            var conversation = lookup.OpenConversationOf(contact.Id);
            var isNew = conversation is null;
            if (conversation is null)
            {
                var classification = classifier.Classify(message.Text, contact.IsVip, item.ChannelType);
                conversation = new Conversation
                {
                    Id = Guid.CreateVersion7(now),
                    ContactId = contact.Id,
                    Status = ConversationStatus.Waiting,
                    Skill = classification.Skill,
                    Priority = classification.Priority,
                    RoutingReason = classification.Reason,
                    Language = classification.Language,
                    LastInstanceId = item.InstanceId,
                    LastExternalId = message.Sender.ExternalId,
                    CreatedAt = now,
                    StepEnteredAt = now,
                    LastMessageAt = now,
                };
                db.Conversations.Add(conversation);
                lookup.AddOpen(conversation);
            }
            else
            {
                conversation.LastInstanceId = item.InstanceId;
                conversation.LastExternalId = message.Sender.ExternalId;
                conversation.LastMessageAt = now;
            }

            conversation.Tags = classifier.AddTags(conversation.Tags, message.Text);
            var row = new Message
            {
                Id = Guid.CreateVersion7(now),
                ConversationId = conversation.Id,
                InstanceId = item.InstanceId,
                ExternalId = message.Sender.ExternalId,
                Direction = MessageDirection.In,
                Text = message.Text,
                Status = MessageStatus.Received,
                ProviderMessageId = message.ProviderMessageId,
                CreatedAt = now,
            };
            db.Messages.Add(row);
            lookup.Messages[(item.InstanceId, message.ProviderMessageId)] = (row.Id, conversation.Id);
            stored.Add((item, conversation, row, isNew, contact));
        }

        var sticky = await StickyAgentsAsync(db, stored.Where(s => s.Conversation.Status == ConversationStatus.Waiting).Select(s => s.Contact.Id), now);
        await db.SaveChangesAsync();
        await transaction.CommitAsync();

        foreach (var (item, conversation, row, isNew, contact) in stored)
        {
            LogStored(_logger, item.InstanceId, row.Id, conversation.Id);
            var preferred = contact.ExclusiveAgentId ?? sticky.GetValueOrDefault(contact.Id);
            var handOff = new RoutingHandOff(
                conversation.Id, conversation.Skill, conversation.Priority, conversation.CreatedAt, conversation.Status, conversation.AssignedAgentId,
                item.ChannelType, isNew, preferred);
            results.Add((item, new Ingested(new InboundResult(row.Id, conversation.Id, Duplicate: false), handOff)));
        }

        return results;
    }

    /// <summary>For each contact, the agent who last closed a conversation with them within the sticky window.</summary>
    private async Task<Dictionary<Guid, Guid?>> StickyAgentsAsync(GatewayDbContext db, IEnumerable<Guid> contactIds, DateTimeOffset now)
    {
        var ids = contactIds.Distinct().ToList();
        var days = _routingOptions.Value.StickyDays;
        if (ids.Count == 0 || days == 0)
        {
            return [];
        }

        var since = now.AddDays(-days);
        var closed = await db.Conversations.AsNoTracking()
            .Where(c => ids.Contains(c.ContactId) && c.AssignedAgentId != null && c.ClosedAt != null && c.ClosedAt >= since)
            .Select(c => new { c.ContactId, c.AssignedAgentId, c.ClosedAt })
            .ToListAsync();
        return closed.GroupBy(c => c.ContactId).ToDictionary(g => g.Key, g => g.MaxBy(c => c.ClosedAt)!.AssignedAgentId);
    }

    private async Task<Contact> ResolveContactAsync(GatewayDbContext db, BatchLookup lookup, PendingInbound item, DateTimeOffset now)
    {
        var sender = item.Message.Sender;
        var byKey = lookup.ContactByKeys(item.Phone, item.Email);
        if (lookup.Identities.TryGetValue((item.InstanceId, sender.ExternalId), out var identity))
        {
            var contact = identity.Contact!;
            if (byKey is not null && byKey.Id != contact.Id)
            {
                // The customer told us a phone or email another contact has: they are one person.
                await MergeAsync(db, lookup, from: contact, into: byKey);
                contact = byKey;
            }

            Fill(lookup, contact, sender, item.Phone, item.Email);
            return contact;
        }

        var owner = byKey ?? new Contact { Id = Guid.CreateVersion7(now), CreatedAt = now };
        if (byKey is null)
        {
            db.Contacts.Add(owner);
        }

        Fill(lookup, owner, sender, item.Phone, item.Email);
        var created = new ChannelIdentity { Id = Guid.CreateVersion7(now), ContactId = owner.Id, Contact = owner, InstanceId = item.InstanceId, ExternalId = sender.ExternalId, CreatedAt = now };
        db.ChannelIdentities.Add(created);
        lookup.Identities[(item.InstanceId, sender.ExternalId)] = created;
        return owner;
    }

    private void Fill(BatchLookup lookup, Contact contact, ChannelSender sender, string? phone, string? email)
    {
        contact.Phone ??= phone;
        contact.Email ??= email;
        if (string.IsNullOrWhiteSpace(contact.DisplayName) && !string.IsNullOrWhiteSpace(sender.DisplayName))
        {
            var name = sender.DisplayName.Trim();
            contact.DisplayName = name[..Math.Min(200, name.Length)];
        }

        contact.IsVip |= (contact.Phone is not null && _vipKeys.Contains(contact.Phone)) || (contact.Email is not null && _vipKeys.Contains(contact.Email));
        lookup.Remember(contact);
    }

    private static async Task MergeAsync(GatewayDbContext db, BatchLookup lookup, Contact from, Contact into)
    {
        await db.ChannelIdentities.Where(i => i.ContactId == from.Id).ForEachAsync(i => { i.ContactId = into.Id; i.Contact = into; });
        await db.Conversations.Where(c => c.ContactId == from.Id).ForEachAsync(c => c.ContactId = into.Id);
        into.Phone ??= from.Phone;
        into.Email ??= from.Email;
        into.DisplayName ??= from.DisplayName;
        into.IsVip |= from.IsVip;
        into.ExclusiveAgentId ??= from.ExclusiveAgentId;
        db.Contacts.Remove(from);
        lookup.Merged(from, into);
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "Stored inbound message {MessageId} from instance {InstanceId} in conversation {ConversationId}")]
    private static partial void LogStored(ILogger logger, string instanceId, Guid messageId, Guid conversationId);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Redelivered message on instance {InstanceId} ignored (stored before as {MessageId})")]
    private static partial void LogDuplicate(ILogger logger, string instanceId, Guid messageId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "A batch of {Count} inbound messages failed; storing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "An inbound message on instance {InstanceId} could not be stored; the channel tells the provider to retry")]
    private static partial void LogFailed(ILogger logger, Exception exception, string instanceId);

    /// <summary>Everything a batch needs from the store, loaded with one query each, and kept up to date as the batch adds rows.</summary>
    private sealed class BatchLookup
    {
        private readonly Dictionary<string, Contact> _byPhone = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Contact> _byEmail = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<Guid, List<Conversation>> _open = [];

        public Dictionary<(string Instance, string ProviderId), (Guid MessageId, Guid ConversationId)> Messages { get; } = [];

        public Dictionary<(string Instance, string ExternalId), ChannelIdentity> Identities { get; } = [];

        public static async Task<BatchLookup> LoadAsync(GatewayDbContext db, List<PendingInbound> batch)
        {
            var lookup = new BatchLookup();
            var providerIds = batch.Select(b => b.Message.ProviderMessageId).Distinct().ToList();
            foreach (var m in await db.Messages.AsNoTracking()
                .Where(m => m.Direction == MessageDirection.In && providerIds.Contains(m.ProviderMessageId!))
                .Select(m => new { m.InstanceId, m.ProviderMessageId, m.Id, m.ConversationId })
                .ToListAsync())
            {
                lookup.Messages[(m.InstanceId, m.ProviderMessageId!)] = (m.Id, m.ConversationId);
            }

            var externalIds = batch.Select(b => b.Message.Sender.ExternalId).Distinct().ToList();
            var instances = batch.Select(b => b.InstanceId).ToHashSet();
            foreach (var identity in await db.ChannelIdentities.Include(i => i.Contact).Where(i => externalIds.Contains(i.ExternalId)).ToListAsync())
            {
                if (instances.Contains(identity.InstanceId))
                {
                    lookup.Identities[(identity.InstanceId, identity.ExternalId)] = identity;
                }
            }

            var phones = batch.Select(b => b.Phone).OfType<string>().Distinct().ToList();
            var emails = batch.Select(b => b.Email).OfType<string>().Distinct().ToList();
            var keyed = phones.Count + emails.Count == 0 ? [] : await db.Contacts
                .Where(c => (c.Phone != null && phones.Contains(c.Phone)) || (c.Email != null && emails.Contains(c.Email)))
                .ToListAsync();

            // The oldest contact owns a phone or email, as when contacts are looked up one by one.
            foreach (var contact in keyed.OrderBy(c => c.CreatedAt))
            {
                lookup.Remember(contact);
            }

            var contactIds = lookup.Identities.Values.Select(i => i.ContactId).Concat(keyed.Select(c => c.Id)).Distinct().ToList();
            foreach (var conversation in await db.Conversations.Where(c => contactIds.Contains(c.ContactId) && c.Status != ConversationStatus.Closed).ToListAsync())
            {
                lookup.AddOpen(conversation);
            }

            return lookup;
        }

        /// <summary>The contact who owns the phone, else the email (the phone wins, as it did one by one).</summary>
        public Contact? ContactByKeys(string? phone, string? email) =>
            (phone is not null ? _byPhone.GetValueOrDefault(phone) : null) ?? (email is not null ? _byEmail.GetValueOrDefault(email) : null);

        public void Remember(Contact contact)
        {
            if (contact.Phone is not null)
            {
                _byPhone.TryAdd(contact.Phone, contact);
            }

            if (contact.Email is not null)
            {
                _byEmail.TryAdd(contact.Email, contact);
            }
        }

        public Conversation? OpenConversationOf(Guid contactId) =>
            _open.TryGetValue(contactId, out var list) ? list.MaxBy(c => c.CreatedAt) : null;

        public void AddOpen(Conversation conversation)
        {
            if (!_open.TryGetValue(conversation.ContactId, out var list))
            {
                _open[conversation.ContactId] = list = [];
            }

            list.Add(conversation);
        }

        public void Merged(Contact from, Contact into)
        {
            if (_open.Remove(from.Id, out var moved))
            {
                moved.ForEach(AddOpen);
            }

            foreach (var key in _byPhone.Where(p => p.Value == from).Select(p => p.Key).ToList())
            {
                _byPhone[key] = into;
            }

            foreach (var key in _byEmail.Where(p => p.Value == from).Select(p => p.Key).ToList())
            {
                _byEmail[key] = into;
            }
        }
    }
}

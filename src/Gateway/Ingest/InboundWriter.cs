using System.Threading.Channels;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Ingest;

/// <summary>An inbound message waiting for the writer, with the caller's completion.</summary>
internal sealed record PendingInbound(string InstanceId, string? ChannelType, InboundMessage Message, string? Phone, string? Email)
{
    /// <summary>
    /// Completed only through <see cref="Answers"/>, on the thread pool: its caller's continuation (the
    /// HTTP answer) runs inline where it is completed, so never on the writer's or the log syncer's thread.
    /// </summary>
    public TaskCompletionSource<Ingested> Completion { get; } = new();

    /// <summary>The message's <see cref="Store.Message.KeyOf"/>, worked out by the caller: a hash the writer's thread need not spend its time on.</summary>
    public long ProviderKey { get; } = Store.Message.KeyOf(InstanceId, MessageDirection.In, Message.ProviderMessageId);
}

/// <summary>
/// Answers the callers of a committed batch on the thread pool, a few per work item. Each caller's answer
/// runs inline in its work item: one queued item and at most one woken thread for several answers, where
/// a completion that ran its continuation asynchronously queued one item, and often woke one thread, per
/// message.
/// </summary>
internal static class Answers
{
    private const int PerWorkItem = 8;

    public static void Send(List<(PendingInbound Item, Ingested Result)> results) => Queue(results, null);

    public static void Fail(List<(PendingInbound Item, Ingested Result)> results, Exception failure) => Queue(results, failure);

    public static void Fail(PendingInbound item, Exception failure) => Queue([(item, null!)], failure);

    private static void Queue(List<(PendingInbound Item, Ingested Result)> results, Exception? failure)
    {
        for (var from = 0; from < results.Count; from += PerWorkItem)
        {
            ThreadPool.UnsafeQueueUserWorkItem(new Slice(results, from, Math.Min(results.Count, from + PerWorkItem), failure), preferLocal: false);
        }
    }

    private sealed class Slice(List<(PendingInbound Item, Ingested Result)> results, int from, int to, Exception? failure) : IThreadPoolWorkItem
    {
        public void Execute()
        {
            for (var i = from; i < to; i++)
            {
                var (item, result) = results[i];
                if (failure is null)
                {
                    item.Completion.TrySetResult(result);
                }
                else
                {
                    item.Completion.TrySetException(failure);
                }
            }
        }
    }
}

/// <summary>The caller's answer, and what routing needs once the message is committed (none for a redelivery).</summary>
internal sealed record Ingested(InboundResult Result, RoutingHandOff? HandOff);

internal sealed record RoutingHandOff(
    Guid ConversationId, string Skill, int Priority, DateTimeOffset CreatedAt, ConversationStatus Status, Guid? AssignedAgentId,
    string? ChannelType, bool IsNew, Guid? PreferredAgent, Message Message);

/// <summary>
/// The one writer of inbound messages. Callers queue a message and wait; the writer takes everything
/// queued (up to <see cref="IngestOptions.MaxBatch"/>) and stores it in one transaction: one fsync for
/// the batch instead of one per message (group commit). Every caller returns only after its message is
/// committed. A batch that fails is retried message by message, so one bad message cannot fail the others.
/// One writer also closes the race between two copies of one provider message, or two first messages
/// of one new customer.
/// </summary>
/// <remarks>
/// This is the hottest path of the gateway, so it keeps its own SQLite connection and prepared
/// statements (each lookup is one index seek, each write one statement) instead of building EF queries
/// per batch. The rows it writes are the ones <see cref="GatewayDbContext"/> maps: Guids as upper-case
/// text, times through <see cref="DateTimeOffsetToBinaryConverter"/>.
/// </remarks>
internal sealed partial class InboundWriter : IAsyncDisposable
{
    private static readonly DateTimeOffsetToBinaryConverter Times = new();

    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>Contacts, identities and conversations the writer keeps between batches, at most.</summary>
    private const int MaxRemembered = 100_000;

    private readonly StoreOptions _store;
    private readonly RoutingRules _rules;
    private readonly IOptions<IngestOptions> _options;
    private readonly IOptions<RoutingOptions> _routingOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<InboundWriter> _logger;
    private readonly HashSet<string> _vipKeys;
    private readonly ThreadQueue<PendingInbound> _queue;
    private readonly Task _loop;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Task _checkpointer;
    private readonly LogSync? _logSync;
    private Statements? _statements;
    private BatchLookup? _lookup;
    private long _lookupVersion;

    /// <summary>The provider keys of every stored message (read when the writer starts, then kept up to date).</summary>
    private ProviderKeyFilter? _keys;

    /// <summary>The last message row (rowid) whose key is in <see cref="_keys"/>; rows after it were written by other connections.</summary>
    private long _keysCover;

    public InboundWriter(
        IOptions<StoreOptions> store,
        RoutingRules rules,
        IOptions<IngestOptions> options,
        IOptions<RoutingOptions> routingOptions,
        TimeProvider time,
        ILogger<InboundWriter> logger)
    {
        _store = store.Value;
        _rules = rules;
        _options = options;
        _routingOptions = routingOptions;
        _time = time;
        _logger = logger;
        _vipKeys = routingOptions.Value.VipContacts
            .Select(v => ContactKeys.NormalizeEmail(v) ?? ContactKeys.NormalizePhone(v))
            .OfType<string>()
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        _queue = new(Channel.CreateBounded<PendingInbound>(new BoundedChannelOptions(options.Value.MaxQueued) { SingleReader = true }));
        // Durable: commits do not wait for the disk; callers are answered after the log's fsync (LogSync).
        _logSync = _store.Durable ? LogSync.For(_store, logger) : null;
        // Its own thread: SQLite calls block (reads, fsync), and would otherwise hold thread pool threads.
        var loop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _loop = loop.Task;
        new Thread(() =>
        {
            try
            {
                Run();
                loop.SetResult();
            }
            catch (Exception ex)
            {
                loop.SetException(ex);
            }
        })
        { IsBackground = true, Name = "Inbound writer" }.Start();
        _checkpointer = Task.Run(CheckpointAsync);
    }

    public async Task<Ingested> WriteAsync(PendingInbound pending, CancellationToken cancellationToken)
    {
        await _queue.WriteAsync(pending, cancellationToken);

        // Once queued the message is stored whatever the caller does; a caller that gives up is told so,
        // and the provider's redelivery is then recognised as a duplicate.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Lets the writer open the store, which must be migrated by now, and read what it needs before the
    /// first message arrives (the provider keys of a large store take a second per million messages).
    /// </summary>
    public void Start() => _started.TrySetResult();

    public async ValueTask DisposeAsync()
    {
        _started.TrySetResult();
        _queue.Complete();
        await _loop;
        if (_logSync is not null)
        {
            await _logSync.StopAsync();
        }

        _statements?.Dispose();
        await _stopping.CancelAsync();
        await _checkpointer;
        _stopping.Dispose();
    }

    /// <summary>
    /// Copies the write-ahead log back into the database a few times a second (a passive checkpoint
    /// never blocks the writer or readers), so that when a commit crosses the log's size limit and must
    /// checkpoint itself, little is left to copy: no stall of a whole log's pages behind one commit.
    /// </summary>
    private async Task CheckpointAsync()
    {
        using var timer = new PeriodicTimer(CheckpointInterval);
        SqliteConnection? connection = null;
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token))
            {
                if (_statements is null)
                {
                    continue; // nothing written yet (and the store may not be migrated yet)
                }

                try
                {
                    if (connection is null)
                    {
                        connection = new SqliteConnection(_store.ConnectionString);
                        connection.Open();
                    }

                    using var command = connection.CreateCommand();
                    command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
                    command.ExecuteNonQuery();
                }
                catch (SqliteException ex)
                {
                    LogCheckpointFailed(_logger, ex);
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            connection?.Dispose();
        }
    }

    private void Run()
    {
        _started.Task.GetAwaiter().GetResult();
        try
        {
            Open();
        }
        catch (Exception ex)
        {
            // The first batch tries again and fails its callers with the reason.
            LogOpenFailed(_logger, ex);
        }

        var batch = new List<PendingInbound>();
        while (_queue.WaitToRead())
        {
            while (batch.Count < _options.Value.MaxBatch && _queue.TryRead(out var item))
            {
                batch.Add(item);
            }

            WriteBatch(batch);
            batch.Clear();
        }
    }

    private void WriteBatch(List<PendingInbound> batch)
    {
        try
        {
            Acknowledge(Store(batch));
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
                Acknowledge(Store(batch));
            }
            catch (Exception again)
            {
                LogFailed(_logger, ex, batch[0].InstanceId);
                Answers.Fail(batch[0], again);
            }

            return;
        }

        foreach (var item in batch)
        {
            WriteBatch([item]);
        }
    }

    private void Acknowledge(List<(PendingInbound Item, Ingested Result)> results)
    {
        if (_logSync is not null)
        {
            _logSync.Acknowledge(results);
            return;
        }

        Answers.Send(results);
    }

    private List<(PendingInbound, Ingested)> Store(List<PendingInbound> batch)
    {
        var statements = Open();
        try
        {
            using var transaction = statements.Connection.BeginTransaction(deferred: false);
            statements.Enlist(transaction);
            var results = Store(statements, batch, out var lastRow);
            transaction.Commit();
            _keysCover = lastRow;
            return results;
        }
        catch (Exception ex)
        {
            // The batch rolled back: what it remembered may not be in the store.
            _lookup = null;
            if (ex is SqliteException)
            {
                // The connection may be unusable (disk full, file replaced): the next batch opens a fresh one.
                statements.Dispose();
                _statements = null;
            }

            throw;
        }
    }

    private Statements Open()
    {
        var statements = _statements ??= Statements.Open(_store.ConnectionString);
        if (_keys is null)
        {
            try
            {
                (_keys, _keysCover) = statements.ReadProviderKeys();
            }
            catch (SqliteException)
            {
                statements.Dispose();
                _statements = null;
                throw;
            }

            LogKeysRead(_logger, _keys.Count, _keys.Bytes / 1024);
        }

        return statements;
    }

    private List<(PendingInbound, Ingested)> Store(Statements sql, List<PendingInbound> batch, out long lastRow)
    {
        // Messages other connections stored since this writer's last commit (another gateway process's
        // writer, an agent's reply): their keys join the filter before anything is looked up in it.
        var keys = _keys!;
        if (sql.CatchUpProviderKeys(keys, _keysCover) is { } rebuilt)
        {
            // The table's rows were renumbered (a VACUUM): read every key again.
            (keys, _keysCover) = rebuilt;
            _keys = keys;
        }

        // The rows read for earlier batches still hold while no other connection has committed since
        // (data_version moves only for other connections' commits; none can commit during this
        // transaction, which holds the write lock from its start).
        var version = sql.DataVersion();
        if (_lookup is null || _lookup.Statements != sql || version != _lookupVersion || _lookup.Count > MaxRemembered)
        {
            _lookup = new BatchLookup(sql);
            _lookupVersion = version;
        }

        var lookup = _lookup;
        lookup.BeginBatch(keys);
        var classifier = _rules.Current.Classifier;
        var now = _time.GetUtcNow();
        var results = new List<(PendingInbound, Ingested)>(batch.Count);
        var stored = new List<(PendingInbound Item, Conversation Conversation, Message Row, bool IsNew, Contact Contact)>(batch.Count);

        foreach (var item in batch)
        {
            var message = item.Message;
            var providerKey = item.ProviderKey;

            // A redelivery comes from the sender of the first copy, whose identity that copy stored: only
            // that contact's messages can hold it (the contact is null for a sender never seen).
            var sender = lookup.FindIdentity(item.InstanceId, message.Sender.ExternalId);
            if (lookup.FindMessage(sender, item.InstanceId, message.ProviderMessageId, providerKey) is { } existing)
            {
                LogDuplicate(_logger, item.InstanceId, existing.MessageId);
                results.Add((item, new Ingested(new InboundResult(existing.MessageId, existing.ConversationId, Duplicate: true), null)));
                continue;
            }

            var contact = ResolveContact(lookup, item, sender, now);
            var conversation = lookup.OpenConversationOf(contact.Id);
            var isNew = conversation is null;
            if (conversation is null)
            {
                var classification = classifier.Classify(message.Text, contact.IsVip, item.ChannelType);
                conversation = new Conversation
                {
                    Id = Ids.NewVersion7(now),
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
                conversation.Tags = classifier.AddTags(conversation.Tags, message.Text);
                sql.InsertConversation(conversation);
                lookup.AddOpen(conversation);
            }
            else
            {
                // The row is written when something a reader relies on changed: where replies go, or the
                // tags. Its last-message time is not kept up: readers take the newest message's time
                // (ConversationMessages.LastMessageAtAsync), and rewriting the row cost a random page of the
                // store for most messages of a busy customer.
                var tags = classifier.AddTags(conversation.Tags, message.Text);
                if (conversation.LastInstanceId != item.InstanceId || conversation.LastExternalId != message.Sender.ExternalId
                    || tags != conversation.Tags)
                {
                    conversation.LastInstanceId = item.InstanceId;
                    conversation.LastExternalId = message.Sender.ExternalId;
                    conversation.LastMessageAt = now;
                    conversation.Tags = tags;
                    lookup.Touched(conversation);
                }
            }

            var row = new Message
            {
                Id = Ids.NewVersion7(now),
                ConversationId = conversation.Id,
                InstanceId = item.InstanceId,
                ExternalId = message.Sender.ExternalId,
                Direction = MessageDirection.In,
                Text = message.Text,
                Status = MessageStatus.Received,
                ProviderMessageId = message.ProviderMessageId,
                ProviderKey = providerKey,
                CreatedAt = now,
            };
            // The message joins its conversation's chain of customer messages (no index by conversation).
            row.PreviousInboundId = lookup.Append(conversation.Id, isNew, row.Id, now);
            sql.InsertMessage(row);
            lookup.AddMessage(contact.Id, item.InstanceId, message.ProviderMessageId, providerKey, row.Id, conversation.Id);
            stored.Add((item, conversation, row, isNew, contact));
        }

        lookup.Flush();
        lastRow = sql.LastMessageRow();
        var stickySince = _routingOptions.Value.StickyDays > 0 ? now.AddDays(-_routingOptions.Value.StickyDays) : (DateTimeOffset?)null;
        foreach (var (item, conversation, row, isNew, contact) in stored)
        {
            LogStored(_logger, item.InstanceId, row.Id, conversation.Id);

            // Only a conversation that opens now is routed, so only it needs the agent the customer had.
            var preferred = !isNew ? null : contact.ExclusiveAgentId ?? (stickySince is { } since ? lookup.StickyAgentOf(contact.Id, since) : null);
            var handOff = new RoutingHandOff(
                conversation.Id, conversation.Skill, conversation.Priority, conversation.CreatedAt, conversation.Status, conversation.AssignedAgentId,
                item.ChannelType, isNew, preferred, row);
            results.Add((item, new Ingested(new InboundResult(row.Id, conversation.Id, Duplicate: false), handOff)));
        }

        return results;
    }

    /// <summary>
    /// The message's contact; <paramref name="known"/> is the one its sender's identity belongs to, if any.
    /// Only what the channel proves (<see cref="PendingInbound.Phone"/>, <see cref="PendingInbound.Email"/>)
    /// joins the sender to another contact; what they typed stays on their own contact (<see cref="Fill"/>).
    /// </summary>
    private Contact ResolveContact(BatchLookup lookup, PendingInbound item, Contact? known, DateTimeOffset now)
    {
        var sender = item.Message.Sender;
        var byKey = lookup.ContactByKeys(item.Phone, item.Email);
        if (known is { } contact)
        {
            if (byKey is not null && byKey.Id != contact.Id)
            {
                // The customer told us a phone or email another contact has: they are one person.
                lookup.Merge(from: contact, into: byKey);
                contact = byKey;
            }

            Fill(lookup, contact, sender, item.Phone, item.Email);
            return contact;
        }

        var owner = byKey;
        if (owner is null)
        {
            owner = new Contact { Id = Ids.NewVersion7(now), CreatedAt = now };
            Fill(lookup, owner, sender, item.Phone, item.Email);
            lookup.AddContact(owner);
        }
        else
        {
            Fill(lookup, owner, sender, item.Phone, item.Email);
        }

        lookup.AddIdentity(Ids.NewVersion7(now), owner, item.InstanceId, sender.ExternalId, now);
        return owner;
    }

    private void Fill(BatchLookup lookup, Contact contact, ChannelSender sender, string? phone, string? email)
    {
        var changed = FillDeclared(contact, sender);
        if (contact.Phone is null && phone is not null)
        {
            contact.Phone = phone;
            changed = true;
        }

        if (contact.Email is null && email is not null)
        {
            contact.Email = email;
            changed = true;
        }

        if (string.IsNullOrWhiteSpace(contact.DisplayName) && !string.IsNullOrWhiteSpace(sender.DisplayName))
        {
            var name = sender.DisplayName.Trim();
            contact.DisplayName = name[..Math.Min(200, name.Length)];
            changed = true;
        }

        var vip = (contact.Phone is not null && _vipKeys.Contains(contact.Phone)) || (contact.Email is not null && _vipKeys.Contains(contact.Email));
        if (vip && !contact.IsVip)
        {
            contact.IsVip = true;
            changed = true;
        }

        if (changed)
        {
            lookup.Touched(contact);
        }

        lookup.Remember(contact);
    }

    /// <summary>
    /// What the customer typed, kept on their own contact's empty Declared* columns (written with the contact's
    /// update, no query of its own): never a key, never VIP. Costs three null checks for a sender who typed nothing.
    /// </summary>
    private static bool FillDeclared(Contact contact, ChannelSender sender)
    {
        var changed = false;
        if (contact.DeclaredName is null && !string.IsNullOrWhiteSpace(sender.DeclaredName))
        {
            var name = sender.DeclaredName.Trim();
            contact.DeclaredName = name[..Math.Min(200, name.Length)];
            changed = true;
        }

        if (contact.DeclaredPhone is null && !string.IsNullOrWhiteSpace(sender.DeclaredPhone))
        {
            var typed = sender.DeclaredPhone.Trim();
            contact.DeclaredPhone = ContactKeys.NormalizePhone(typed) ?? typed[..Math.Min(40, typed.Length)];
            changed = true;
        }

        if (contact.DeclaredEmail is null && !string.IsNullOrWhiteSpace(sender.DeclaredEmail))
        {
            var typed = sender.DeclaredEmail.Trim();
            contact.DeclaredEmail = ContactKeys.NormalizeEmail(typed) ?? typed[..Math.Min(320, typed.Length)];
            changed = true;
        }

        return changed;
    }

    [LoggerMessage(EventId = 2000, Level = LogLevel.Debug, Message = "Stored inbound message {MessageId} from instance {InstanceId} in conversation {ConversationId}")]
    private static partial void LogStored(ILogger logger, string instanceId, Guid messageId, Guid conversationId);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Redelivered message on instance {InstanceId} ignored (stored before as {MessageId})")]
    private static partial void LogDuplicate(ILogger logger, string instanceId, Guid messageId);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Warning, Message = "A batch of {Count} inbound messages failed; storing them one by one")]
    private static partial void LogBatchFailed(ILogger logger, Exception exception, int count);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "The inbound writer could not open the store; it tries again with the first message")]
    private static partial void LogOpenFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Inbound writer read {Count} provider keys of stored messages ({KiB} KiB filter)")]
    private static partial void LogKeysRead(ILogger logger, long count, long kiB);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Checkpointing the store's write-ahead log failed; trying again shortly")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "An inbound message on instance {InstanceId} could not be stored; the channel tells the provider to retry")]
    private static partial void LogFailed(ILogger logger, Exception exception, string instanceId);

    private static string Text(Guid id) => StoredValues.Text(id);

    private static long Ticks(DateTimeOffset at) => (long)Times.ConvertToProvider(at)!;

    private static DateTimeOffset Time(long value) => (DateTimeOffset)Times.ConvertFromProvider(value)!;

    /// <summary>
    /// The contacts, identities and open conversations the writer has read or written, kept from batch
    /// to batch while no other connection writes, so a busy customer's rows are read once, not once per
    /// message; and what one batch has changed, so each contact and conversation is updated once, after
    /// the batch's messages.
    /// </summary>
    private sealed class BatchLookup(Statements sql)
    {
        private ProviderKeyFilter _keys = new();

        public Statements Statements => sql;

        public int Count => _contacts.Count + _identities.Count + _open.Count + _byPhone.Count + _byEmail.Count + _heads.Count;

        /// <summary>Forgets the previous batch's provider ids and changes (they are committed).</summary>
        public void BeginBatch(ProviderKeyFilter keys)
        {
            _keys = keys;
            _messages.Clear();
            _dirtyContacts.Clear();
            _dirtyConversations.Clear();
            _dirtyHeads.Clear();
        }

        private readonly Dictionary<(string Instance, string ProviderId), (Guid MessageId, Guid ConversationId)> _messages = [];
        private readonly Dictionary<(string Instance, string ExternalId), Guid> _identities = [];
        private readonly Dictionary<Guid, Contact> _contacts = [];
        private readonly Dictionary<string, Contact?> _byPhone = new(StringComparer.Ordinal);
        private readonly Dictionary<string, Contact?> _byEmail = new(StringComparer.OrdinalIgnoreCase);
        private readonly Dictionary<Guid, Conversation?> _open = [];
        private readonly HashSet<Contact> _dirtyContacts = [];
        private readonly HashSet<Conversation> _dirtyConversations = [];
        private readonly Dictionary<Guid, InboundHead> _heads = [];
        private readonly HashSet<InboundHead> _dirtyHeads = [];

        /// <summary>
        /// The contact's inbound message with this provider id (<paramref name="providerKey"/> is its
        /// <see cref="Message.KeyOf"/>). A key the filter has never seen is a new message; only a key it
        /// may have costs a look among the contact's messages (along the chains of customer messages of
        /// the contact's conversations, keys compared on the way), where the id itself is compared.
        /// </summary>
        public (Guid MessageId, Guid ConversationId)? FindMessage(Contact? contact, string instanceId, string providerId, long providerKey)
        {
            if (_messages.TryGetValue((instanceId, providerId), out var known))
            {
                return known;
            }

            if (contact is null || !_keys.MayContain(providerKey))
            {
                return null;
            }

            return sql.FindMessage(contact.Id, instanceId, providerId, providerKey);
        }

        public void AddMessage(Guid contactId, string instanceId, string providerId, long providerKey, Guid messageId, Guid conversationId)
        {
            _messages[(instanceId, providerId)] = (messageId, conversationId);
            _keys.Add(providerKey);
        }

        /// <summary>The contact the identity belongs to, or null for an identity never seen.</summary>
        public Contact? FindIdentity(string instanceId, string externalId)
        {
            if (!_identities.TryGetValue((instanceId, externalId), out var contactId))
            {
                if (sql.FindIdentity(instanceId, externalId) is not { } found)
                {
                    return null;
                }

                contactId = found.Id;
                _identities[(instanceId, externalId)] = contactId;
                Known(found);
            }

            return _contacts[contactId];
        }

        public void AddIdentity(Guid id, Contact owner, string instanceId, string externalId, DateTimeOffset now)
        {
            sql.InsertIdentity(id, owner.Id, instanceId, externalId, now);
            _identities[(instanceId, externalId)] = owner.Id;
        }

        public void AddContact(Contact contact)
        {
            sql.InsertContact(contact);
            _dirtyContacts.Remove(contact);
            _contacts[contact.Id] = contact;
            _open[contact.Id] = null;
        }

        /// <summary>The contact who owns the phone, else the email (the oldest owner, as when first stored).</summary>
        public Contact? ContactByKeys(string? phone, string? email)
        {
            if (phone is not null)
            {
                if (!_byPhone.TryGetValue(phone, out var owner))
                {
                    owner = sql.FindContactByPhone(phone) is { } found ? Known(found) : null;
                    _byPhone[phone] = owner;
                }

                if (owner is not null)
                {
                    return owner;
                }
            }

            if (email is not null)
            {
                if (!_byEmail.TryGetValue(email, out var owner))
                {
                    owner = sql.FindContactByEmail(email) is { } found ? Known(found) : null;
                    _byEmail[email] = owner;
                }

                return owner;
            }

            return null;
        }

        public void Remember(Contact contact)
        {
            if (contact.Phone is not null && (!_byPhone.TryGetValue(contact.Phone, out var byPhone) || byPhone is null))
            {
                _byPhone[contact.Phone] = contact;
            }

            if (contact.Email is not null && (!_byEmail.TryGetValue(contact.Email, out var byEmail) || byEmail is null))
            {
                _byEmail[contact.Email] = contact;
            }
        }

        public void Touched(Contact contact) => _dirtyContacts.Add(contact);

        public void Touched(Conversation conversation) => _dirtyConversations.Add(conversation);

        /// <summary>The contact's newest open conversation, if any.</summary>
        public Conversation? OpenConversationOf(Guid contactId)
        {
            if (!_open.TryGetValue(contactId, out var open))
            {
                open = sql.FindOpenConversation(contactId);
                _open[contactId] = open;
            }

            return open;
        }

        public void AddOpen(Conversation conversation) => _open[conversation.ContactId] = conversation;

        /// <summary>
        /// Makes <paramref name="messageId"/> the newest customer message of the conversation (the first of its
        /// unanswered run if an agent answered since the last one) and returns the one before it, if any.
        /// </summary>
        public Guid? Append(Guid conversationId, bool isNew, Guid messageId, DateTimeOffset at)
        {
            var head = _heads.GetValueOrDefault(conversationId) ?? (isNew ? null : sql.FindHead(conversationId));

            var previous = head?.LastMessageId;
            head ??= new InboundHead { ConversationId = conversationId };
            head.LastMessageId = messageId;
            head.LastMessageAt = at;
            if (head.RunStartId is null)
            {
                head.RunStartId = messageId;
                head.RunStartAt = at;
            }

            _heads[conversationId] = head;
            _dirtyHeads.Add(head);
            return previous;
        }

        public Guid? StickyAgentOf(Guid contactId, DateTimeOffset since) => sql.FindStickyAgent(contactId, since);

        public void Merge(Contact from, Contact into)
        {
            var fromOpen = OpenConversationOf(from.Id);
            var intoOpen = OpenConversationOf(into.Id);
            sql.MoveContact(from.Id, into.Id);

            into.Phone ??= from.Phone;
            into.Email ??= from.Email;
            into.DisplayName ??= from.DisplayName;
            into.DeclaredName ??= from.DeclaredName;
            into.DeclaredPhone ??= from.DeclaredPhone;
            into.DeclaredEmail ??= from.DeclaredEmail;
            into.IsVip |= from.IsVip;
            into.ExclusiveAgentId ??= from.ExclusiveAgentId;
            _dirtyContacts.Add(into);
            _dirtyContacts.Remove(from);

            foreach (var key in _identities.Where(i => i.Value == from.Id).Select(i => i.Key).ToList())
            {
                _identities[key] = into.Id;
            }

            foreach (var key in _byPhone.Where(p => p.Value == from).Select(p => p.Key).ToList())
            {
                _byPhone[key] = into;
            }

            foreach (var key in _byEmail.Where(p => p.Value == from).Select(p => p.Key).ToList())
            {
                _byEmail[key] = into;
            }

            if (fromOpen is not null)
            {
                fromOpen.ContactId = into.Id;
            }

            _open.Remove(from.Id);
            _open[into.Id] = new[] { fromOpen, intoOpen }.OfType<Conversation>().MaxBy(c => c.CreatedAt);
            _contacts.Remove(from.Id);
        }

        /// <summary>Writes what the batch changed on contacts and conversations that were there before.</summary>
        public void Flush()
        {
            foreach (var contact in _dirtyContacts)
            {
                sql.UpdateContact(contact);
            }

            foreach (var conversation in _dirtyConversations)
            {
                sql.UpdateConversation(conversation);
            }

            foreach (var head in _dirtyHeads)
            {
                sql.SaveHead(head);
            }
        }

        private Contact Known(Contact found)
        {
            if (_contacts.TryGetValue(found.Id, out var known))
            {
                return known;
            }

            _contacts[found.Id] = found;
            return found;
        }
    }

    /// <summary>The writer's connection and its prepared statements, reused batch after batch.</summary>
    private sealed class Statements : IDisposable
    {
        private const string ConversationColumns =
            "\"Id\", \"ContactId\", \"Status\", \"Skill\", \"Priority\", \"RoutingReason\", \"Language\", \"Tags\", \"AssignedAgentId\", \"LastInstanceId\", \"LastExternalId\", \"CreatedAt\", \"LastMessageAt\", \"StepEnteredAt\"";

        /// <summary>Whether the row <c>m</c> is the message looked for (the key first: it rules out nearly every row).</summary>
        private const string Found = "(m.\"ProviderKey\" IS $key AND m.\"InstanceId\" IS $instance AND m.\"ProviderMessageId\" IS $provider)";

        private const string ContactColumns =
            "\"Id\", \"DisplayName\", \"Phone\", \"Email\", \"IsVip\", \"ExclusiveAgentId\", \"CreatedAt\", \"DeclaredName\", \"DeclaredPhone\", \"DeclaredEmail\"";

        private readonly List<SqliteCommand> _all = [];
        private readonly SqliteCommand _findMessage;
        private readonly SqliteCommand _allProviderKeys;
        private readonly SqliteCommand _providerKeysAfter;
        private readonly SqliteCommand _lastMessageRow;
        private readonly SqliteCommand _findIdentity;
        private readonly SqliteCommand _findContactByPhone;
        private readonly SqliteCommand _findContactByEmail;
        private readonly SqliteCommand _findOpenConversation;
        private readonly SqliteCommand _findStickyAgent;
        private readonly SqliteCommand _insertContact;
        private readonly SqliteCommand _updateContact;
        private readonly SqliteCommand _insertIdentity;
        private readonly SqliteCommand _insertConversation;
        private readonly SqliteCommand _updateConversation;
        private readonly SqliteRawStatement _insertMessage;
        private readonly SqliteCommand _moveContact;
        private readonly SqliteCommand _dataVersion;
        private readonly SqliteCommand _findHead;
        private readonly SqliteRawStatement _saveHead;

        private Statements(SqliteConnection connection)
        {
            Connection = connection;
            // Walks the chains of customer messages of the contact's conversations, newest first, comparing keys
            // on the way; a chain stops at the message looked for (a redelivery is usually of a recent one).
            _findMessage = Prepare(
                "WITH RECURSIVE chain(\"Id\", \"ConversationId\", \"PreviousInboundId\", \"Found\") AS (" +
                $"SELECT m.\"Id\", m.\"ConversationId\", m.\"PreviousInboundId\", {Found} " +
                "FROM \"Conversations\" AS c CROSS JOIN \"InboundHeads\" AS h CROSS JOIN \"Messages\" AS m " +
                "WHERE c.\"ContactId\" = $contact AND h.\"ConversationId\" = c.\"Id\" AND m.\"Id\" = h.\"LastMessageId\" " +
                $"UNION ALL SELECT m.\"Id\", m.\"ConversationId\", m.\"PreviousInboundId\", {Found} FROM chain CROSS JOIN \"Messages\" AS m " +
                "WHERE m.\"Id\" = chain.\"PreviousInboundId\" AND NOT chain.\"Found\") " +
                "SELECT \"Id\", \"ConversationId\" FROM chain WHERE \"Found\" LIMIT 1");
            _allProviderKeys = Prepare("SELECT \"ProviderKey\" FROM \"Messages\" WHERE \"ProviderKey\" IS NOT NULL");
            _providerKeysAfter = Prepare("SELECT rowid, \"ProviderKey\" FROM \"Messages\" WHERE rowid > $after");
            _lastMessageRow = Prepare("SELECT coalesce(max(rowid), 0) FROM \"Messages\"");
            _findIdentity = Prepare($"SELECT {Prefixed("c")} FROM \"ChannelIdentities\" AS i JOIN \"Contacts\" AS c ON c.\"Id\" = i.\"ContactId\" WHERE i.\"InstanceId\" = $instance AND i.\"ExternalId\" = $external");
            _findContactByPhone = Prepare($"SELECT {ContactColumns} FROM \"Contacts\" WHERE \"Phone\" = $key AND \"MergedIntoId\" IS NULL ORDER BY \"CreatedAt\" LIMIT 1");
            _findContactByEmail = Prepare($"SELECT {ContactColumns} FROM \"Contacts\" WHERE \"Email\" = $key AND \"MergedIntoId\" IS NULL ORDER BY \"CreatedAt\" LIMIT 1");
            _findOpenConversation = Prepare($"SELECT {ConversationColumns} FROM \"Conversations\" WHERE \"ContactId\" = $contact AND \"Status\" <> 2 ORDER BY \"CreatedAt\" DESC LIMIT 1");
            _findStickyAgent = Prepare("SELECT \"AssignedAgentId\" FROM \"Conversations\" WHERE \"ContactId\" = $contact AND \"AssignedAgentId\" IS NOT NULL AND \"ClosedAt\" IS NOT NULL AND \"ClosedAt\" >= $since ORDER BY \"ClosedAt\" DESC LIMIT 1");
            _insertContact = Prepare($"INSERT INTO \"Contacts\" ({ContactColumns}) VALUES ($id, $name, $phone, $email, $vip, $exclusive, $created, $dname, $dphone, $demail)");
            _updateContact = Prepare("UPDATE \"Contacts\" SET \"DisplayName\" = $name, \"Phone\" = $phone, \"Email\" = $email, \"IsVip\" = $vip, \"ExclusiveAgentId\" = $exclusive, " +
                "\"DeclaredName\" = $dname, \"DeclaredPhone\" = $dphone, \"DeclaredEmail\" = $demail WHERE \"Id\" = $id");
            _insertIdentity = Prepare("INSERT INTO \"ChannelIdentities\" (\"Id\", \"ContactId\", \"InstanceId\", \"ExternalId\", \"CreatedAt\") VALUES ($id, $contact, $instance, $external, $created)");
            _insertConversation = Prepare(
                $"INSERT INTO \"Conversations\" ({ConversationColumns}, \"NeedsSupervisor\", \"TransferCount\") " +
                "VALUES ($id, $contact, $status, $skill, $priority, $reason, $language, $tags, $agent, $instance, $external, $created, $last, $step, 0, 0)");
            _updateConversation = Prepare("UPDATE \"Conversations\" SET \"LastInstanceId\" = $instance, \"LastExternalId\" = $external, \"LastMessageAt\" = $last, \"Tags\" = $tags WHERE \"Id\" = $id");
            _insertMessage = new SqliteRawStatement(connection,
                "INSERT INTO \"Messages\" (\"Id\", \"ConversationId\", \"InstanceId\", \"Direction\", \"Text\", \"Status\", \"ProviderMessageId\", \"ProviderKey\", \"ExternalId\", \"Attempts\", \"CreatedAt\", \"PreviousInboundId\") " +
                "VALUES (?1, ?2, ?3, 0, ?4, 0, ?5, ?6, ?7, 0, ?8, ?9)");
            _moveContact = Prepare(
                "UPDATE \"ChannelIdentities\" SET \"ContactId\" = $into WHERE \"ContactId\" = $from; " +
                "UPDATE \"Conversations\" SET \"ContactId\" = $into WHERE \"ContactId\" = $from; " +
                "DELETE FROM \"Contacts\" WHERE \"Id\" = $from;");
            _dataVersion = Prepare("PRAGMA data_version");
            _findHead = Prepare("SELECT \"LastMessageId\", \"LastMessageAt\", \"RunStartId\", \"RunStartAt\" FROM \"InboundHeads\" WHERE \"ConversationId\" = $id");
            // Once per conversation per batch: through SQLite's own interface, as the message's insert.
            _saveHead = new SqliteRawStatement(connection,
                "INSERT INTO \"InboundHeads\" (\"ConversationId\", \"LastMessageId\", \"LastMessageAt\", \"RunStartId\", \"RunStartAt\") VALUES (?1, ?2, ?3, ?4, ?5) " +
                "ON CONFLICT (\"ConversationId\") DO UPDATE SET \"LastMessageId\" = excluded.\"LastMessageId\", \"LastMessageAt\" = excluded.\"LastMessageAt\", " +
                "\"RunStartId\" = excluded.\"RunStartId\", \"RunStartAt\" = excluded.\"RunStartAt\"");
        }

        public SqliteConnection Connection { get; }

        public static Statements Open(string connectionString)
        {
            var connection = new SqliteConnection(connectionString);
            connection.Open();
            using (var pragmas = connection.CreateCommand())
            {
                // Commits do not wait for the disk: a durable store's callers wait for LogSync instead.
                // A page cache of 8 MB: SQLite walks the cache's hash table at the end of every write
                // transaction, which took 12% of the writer's time with 64 MB (4.5% with 16 MB); the pages it
                // misses come from the memory-mapped file. No foreign-key checks on this connection: every
                // row it writes points at a row it has just read or written in the same write transaction
                // (conversations and messages are never deleted), and the checks cost a seek in the parent
                // table's index for every message.
                pragmas.CommandText = SqlitePragmaInterceptor.Pragmas(durable: false) + " PRAGMA cache_size=-8192; PRAGMA foreign_keys=OFF;";
                pragmas.ExecuteNonQuery();
            }

            return new Statements(connection);
        }

        public void Enlist(SqliteTransaction transaction)
        {
            foreach (var command in _all)
            {
                command.Transaction = transaction;
            }
        }

        /// <summary>The contact's inbound message with this provider id (<paramref name="providerKey"/> is its <see cref="Message.KeyOf"/>).</summary>
        public (Guid MessageId, Guid ConversationId)? FindMessage(Guid contactId, string instanceId, string providerId, long providerKey)
        {
            using var reader = Run(_findMessage, ("$contact", Text(contactId)), ("$key", providerKey), ("$instance", instanceId), ("$provider", providerId));
            return reader.Read() ? (Guid.Parse(reader.GetString(0)), Guid.Parse(reader.GetString(1))) : null;
        }

        /// <summary>
        /// A filter of every stored message's key, and the last row it covers. The last row is read first:
        /// a row stored meanwhile is then read twice (harmless), never missed.
        /// </summary>
        public (ProviderKeyFilter Keys, long LastRow) ReadProviderKeys()
        {
            var lastRow = LastMessageRow();
            var keys = new ProviderKeyFilter(lastRow);
            using var reader = Run(_allProviderKeys);
            while (reader.Read())
            {
                keys.Add(reader.GetInt64(0));
            }

            return (keys, lastRow);
        }

        /// <summary>
        /// Adds the keys of the rows after <paramref name="after"/> (stored by other connections), or, if the
        /// table now ends before it (its rows were renumbered), reads every key again and returns the new filter.
        /// </summary>
        public (ProviderKeyFilter Keys, long LastRow)? CatchUpProviderKeys(ProviderKeyFilter keys, long after)
        {
            var any = false;
            using (var reader = Run(_providerKeysAfter, ("$after", after)))
            {
                while (reader.Read())
                {
                    any = true;
                    if (!reader.IsDBNull(1))
                    {
                        keys.Add(reader.GetInt64(1));
                    }
                }
            }

            return !any && after > 0 && LastMessageRow() < after ? ReadProviderKeys() : null;
        }

        /// <summary>The rowid of the last message row (0 for none).</summary>
        public long LastMessageRow()
        {
            using var reader = Run(_lastMessageRow);
            reader.Read();
            return reader.GetInt64(0);
        }

        public Contact? FindIdentity(string instanceId, string externalId)
        {
            using var reader = Run(_findIdentity, ("$instance", instanceId), ("$external", externalId));
            return reader.Read() ? ReadContact(reader) : null;
        }

        public Contact? FindContactByPhone(string phone)
        {
            using var reader = Run(_findContactByPhone, ("$key", phone));
            return reader.Read() ? ReadContact(reader) : null;
        }

        public Contact? FindContactByEmail(string email)
        {
            using var reader = Run(_findContactByEmail, ("$key", email));
            return reader.Read() ? ReadContact(reader) : null;
        }

        public Conversation? FindOpenConversation(Guid contactId)
        {
            using var reader = Run(_findOpenConversation, ("$contact", Text(contactId)));
            if (!reader.Read())
            {
                return null;
            }

            return new Conversation
            {
                Id = Guid.Parse(reader.GetString(0)),
                ContactId = Guid.Parse(reader.GetString(1)),
                Status = (ConversationStatus)reader.GetInt32(2),
                Skill = reader.GetString(3),
                Priority = reader.GetInt32(4),
                RoutingReason = reader.IsDBNull(5) ? null : reader.GetString(5),
                Language = reader.IsDBNull(6) ? null : reader.GetString(6),
                Tags = reader.GetString(7),
                AssignedAgentId = reader.IsDBNull(8) ? null : Guid.Parse(reader.GetString(8)),
                LastInstanceId = reader.GetString(9),
                LastExternalId = reader.GetString(10),
                CreatedAt = Time(reader.GetInt64(11)),
                LastMessageAt = Time(reader.GetInt64(12)),
                StepEnteredAt = reader.IsDBNull(13) ? null : Time(reader.GetInt64(13)),
            };
        }

        public Guid? FindStickyAgent(Guid contactId, DateTimeOffset since)
        {
            using var reader = Run(_findStickyAgent, ("$contact", Text(contactId)), ("$since", Ticks(since)));
            return reader.Read() ? Guid.Parse(reader.GetString(0)) : null;
        }

        public void InsertContact(Contact c) => Execute(_insertContact,
            ("$id", Text(c.Id)), ("$name", c.DisplayName), ("$phone", c.Phone), ("$email", c.Email), ("$vip", c.IsVip ? 1 : 0),
            ("$exclusive", c.ExclusiveAgentId is { } e ? Text(e) : null), ("$created", Ticks(c.CreatedAt)),
            ("$dname", c.DeclaredName), ("$dphone", c.DeclaredPhone), ("$demail", c.DeclaredEmail));

        public void UpdateContact(Contact c) => Execute(_updateContact,
            ("$id", Text(c.Id)), ("$name", c.DisplayName), ("$phone", c.Phone), ("$email", c.Email), ("$vip", c.IsVip ? 1 : 0),
            ("$exclusive", c.ExclusiveAgentId is { } e ? Text(e) : null),
            ("$dname", c.DeclaredName), ("$dphone", c.DeclaredPhone), ("$demail", c.DeclaredEmail));

        public void InsertIdentity(Guid id, Guid contactId, string instanceId, string externalId, DateTimeOffset created) => Execute(_insertIdentity,
            ("$id", Text(id)), ("$contact", Text(contactId)), ("$instance", instanceId), ("$external", externalId), ("$created", Ticks(created)));

        public void InsertConversation(Conversation c) => Execute(_insertConversation,
            ("$id", Text(c.Id)), ("$contact", Text(c.ContactId)), ("$status", (int)c.Status), ("$skill", c.Skill), ("$priority", c.Priority),
            ("$reason", c.RoutingReason), ("$language", c.Language), ("$tags", c.Tags), ("$agent", c.AssignedAgentId is { } a ? Text(a) : null),
            ("$instance", c.LastInstanceId), ("$external", c.LastExternalId), ("$created", Ticks(c.CreatedAt)), ("$last", Ticks(c.LastMessageAt)),
            ("$step", c.StepEnteredAt is { } step ? Ticks(step) : null));

        public void UpdateConversation(Conversation c) => Execute(_updateConversation,
            ("$id", Text(c.Id)), ("$instance", c.LastInstanceId), ("$external", c.LastExternalId), ("$last", Ticks(c.LastMessageAt)), ("$tags", c.Tags));

        /// <summary>An inbound message (direction, status and attempts are those of a received message).</summary>
        public void InsertMessage(Message m)
        {
            _insertMessage.Bind(1, m.Id);
            _insertMessage.Bind(2, m.ConversationId);
            _insertMessage.Bind(3, m.InstanceId);
            _insertMessage.Bind(4, m.Text);
            _insertMessage.Bind(5, m.ProviderMessageId);
            _insertMessage.Bind(6, m.ProviderKey);
            _insertMessage.Bind(7, m.ExternalId);
            _insertMessage.Bind(8, Ticks(m.CreatedAt));
            _insertMessage.Bind(9, m.PreviousInboundId);
            _insertMessage.Execute();
        }

        public InboundHead? FindHead(Guid conversationId)
        {
            using var reader = Run(_findHead, ("$id", Text(conversationId)));
            return reader.Read()
                ? new InboundHead
                {
                    ConversationId = conversationId,
                    LastMessageId = Guid.Parse(reader.GetString(0)),
                    LastMessageAt = Time(reader.GetInt64(1)),
                    RunStartId = reader.IsDBNull(2) ? null : Guid.Parse(reader.GetString(2)),
                    RunStartAt = reader.IsDBNull(3) ? null : Time(reader.GetInt64(3)),
                }
                : null;
        }

        public void SaveHead(InboundHead h)
        {
            _saveHead.Bind(1, h.ConversationId);
            _saveHead.Bind(2, h.LastMessageId);
            _saveHead.Bind(3, Ticks(h.LastMessageAt));
            _saveHead.Bind(4, h.RunStartId);
            _saveHead.Bind(5, h.RunStartAt is { } since ? Ticks(since) : null);
            _saveHead.Execute();
        }

        public void MoveContact(Guid from, Guid into) => Execute(_moveContact, ("$from", Text(from)), ("$into", Text(into)));

        /// <summary>Changes when another connection commits (never for this connection's own commits).</summary>
        public long DataVersion()
        {
            using var reader = Run(_dataVersion);
            reader.Read();
            return reader.GetInt64(0);
        }

        public void Dispose()
        {
            foreach (var command in _all)
            {
                command.Dispose();
            }

            _insertMessage.Dispose();
            _saveHead.Dispose();
            Connection.Dispose();
        }

        private static string Prefixed(string alias) =>
            string.Join(", ", ContactColumns.Split(", ").Select(column => $"{alias}.{column}"));

        private static Contact ReadContact(SqliteDataReader reader) => new()
        {
            Id = Guid.Parse(reader.GetString(0)),
            DisplayName = reader.IsDBNull(1) ? null : reader.GetString(1),
            Phone = reader.IsDBNull(2) ? null : reader.GetString(2),
            Email = reader.IsDBNull(3) ? null : reader.GetString(3),
            IsVip = reader.GetInt64(4) != 0,
            ExclusiveAgentId = reader.IsDBNull(5) ? null : Guid.Parse(reader.GetString(5)),
            CreatedAt = Time(reader.GetInt64(6)),
            DeclaredName = reader.IsDBNull(7) ? null : reader.GetString(7),
            DeclaredPhone = reader.IsDBNull(8) ? null : reader.GetString(8),
            DeclaredEmail = reader.IsDBNull(9) ? null : reader.GetString(9),
        };

        private static void Bind(SqliteCommand command, (string Name, object? Value)[] values)
        {
            foreach (var (name, value) in values)
            {
                command.Parameters[name].Value = value ?? DBNull.Value;
            }
        }

        private static SqliteDataReader Run(SqliteCommand command, params (string Name, object? Value)[] values)
        {
            Bind(command, values);
            return command.ExecuteReader();
        }

        private static void Execute(SqliteCommand command, params (string Name, object? Value)[] values)
        {
            Bind(command, values);
            command.ExecuteNonQuery();
        }

        private SqliteCommand Prepare(string text)
        {
            var command = Connection.CreateCommand();
            command.CommandText = text;
            foreach (var name in System.Text.RegularExpressions.Regex.Matches(text, @"\$[a-z]+").Select(m => m.Value).Distinct())
            {
                command.Parameters.Add(new SqliteParameter(name, null));
            }

            command.Prepare();
            _all.Add(command);
            return command;
        }
    }
}

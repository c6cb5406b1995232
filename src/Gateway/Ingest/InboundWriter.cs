using System.Threading.Channels;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// The writer of inbound messages. Callers queue a message and wait; the writer takes everything queued (up to
/// <see cref="IngestOptions.MaxBatch"/>) and stores it in one transaction: one commit (one log flush) for the
/// batch instead of one per message (group commit). Every caller returns only after its message is committed.
/// </summary>
/// <remarks>
/// What to store is decided here once for both engines (dedupe, the contact, the conversation, the chain of
/// customer messages, what routing needs); each engine's part is its <see cref="IInboundStatements"/>. Correctness
/// across gateway instances comes from the store, not from this being the one writer: rows a batch changes are read
/// locked, and unique constraints turn away a second copy of a provider message, a second identity of one sender
/// or a second contact of one verified phone or email. A batch turned away that way, or failing for any other
/// reason, is stored again message by message, where the rows another instance stored first are then found: one
/// bad message cannot fail the others, and a race costs a retry, never a duplicate.
/// </remarks>
internal sealed partial class InboundWriter : IAsyncDisposable
{
    private static readonly TimeSpan CheckpointInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>How often one message is tried before its caller is told it failed (a race may turn it away more than once).</summary>
    private const int SingleAttempts = 4;

    /// <summary>Contacts, identities and conversations the writer keeps between batches, at most.</summary>
    private const int MaxRemembered = 100_000;

    private readonly StoreOptions _store;
    private readonly Telemetry.GatewayMetrics _metrics;
    private readonly Webhooks.WebhookOutbox _webhooks;
    private readonly StoreDialect _dialect;
    private readonly StoreHealth _health;
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
    private readonly ProviderKeys _sqliteKeys = new();
    private IInboundStatements? _statements;
    private InboundRows? _rows;

    public InboundWriter(
        IOptions<StoreOptions> store,
        StoreDialect dialect,
        StoreHealth health,
        RoutingRules rules,
        IOptions<IngestOptions> options,
        IOptions<RoutingOptions> routingOptions,
        TimeProvider time,
        ILogger<InboundWriter> logger,
        Telemetry.GatewayMetrics metrics,
        Webhooks.WebhookOutbox webhooks)
    {
        _metrics = metrics;
        _webhooks = webhooks;
        _store = store.Value;
        _dialect = dialect;
        _health = health;
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
        // Durable SQLite: commits do not wait for the disk; callers are answered after the log's fsync (LogSync).
        // PostgreSQL's commit waits for its own log flush (synchronous_commit=on).
        _logSync = _store.IsSqlite && _store.Durable ? LogSync.For(_store, logger) : null;
        // Its own thread: the store's calls block (reads, commits), and would otherwise hold thread pool threads.
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
        _checkpointer = _store.IsSqlite ? Task.Run(CheckpointAsync) : Task.CompletedTask;
    }

    public async Task<Ingested> WriteAsync(PendingInbound pending, CancellationToken cancellationToken)
    {
        await _queue.WriteAsync(pending, cancellationToken);

        // Once queued the message is stored whatever the caller does; a caller that gives up is told so,
        // and the provider's redelivery is then recognised as a duplicate.
        return await pending.Completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Lets the writer open the store, which must be migrated by now.</summary>
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
    /// SQLite: copies the write-ahead log back into the database a few times a second (a passive checkpoint
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
                if (!_started.Task.IsCompleted)
                {
                    // The store may not be migrated yet. Once it is, the log is checkpointed whoever writes to it: a gateway
                    // that only fires follow-ups and sends replies, with no customer message yet, grows it too.
                    continue;
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
        if (batch.Count == 1)
        {
            WriteOne(batch[0]);
            return;
        }

        try
        {
            Acknowledge(Store(batch));
            return;
        }
        catch (Exception ex) when (_dialect.IsRace(ex))
        {
            LogRace(_logger, ex.Message);
        }
        catch (Exception ex)
        {
            LogBatchFailed(_logger, ex, batch.Count);
        }

        foreach (var item in batch)
        {
            WriteOne(item);
        }
    }

    /// <summary>
    /// One message, tried again while another writer keeps storing a row it needs first (the next try finds that
    /// row), or once more after any other failure; then its caller is told, and the channel asks for a redelivery.
    /// </summary>
    private void WriteOne(PendingInbound item)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                Acknowledge(Store([item]));
                return;
            }
            catch (Exception ex) when (attempt < SingleAttempts && (attempt == 1 || _dialect.IsRace(ex)))
            {
            }
            catch (Exception ex)
            {
                LogFailed(_logger, ex, item.InstanceId);
                Answers.Fail(item, ex);
                return;
            }
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

    private IInboundStatements Open() =>
        _statements ??= _store.IsSqlite ? new SqliteInboundStatements(_store, _dialect, _sqliteKeys) : new PostgreSqlInboundStatements(_store, _dialect);

    private List<(PendingInbound, Ingested)> Store(List<PendingInbound> batch)
    {
        var statements = Open();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var activity = Telemetry.GatewayTracing.Source.HasListeners() ? StartCommitSpan(batch) : null;
        try
        {
            statements.Begin();
            var results = Store(statements, batch);
            statements.Commit();
            _health.WriteSucceeded();
            _metrics.BatchStored(batch.Count, started);
            return results;
        }
        catch (Exception ex)
        {
            activity?.SetStatus(System.Diagnostics.ActivityStatusCode.Error, ex.GetType().Name);
            // The batch rolled back: what it remembered may not be in the store; and the connection may be unusable
            // (disk full, file replaced, server restarted): the next batch opens a fresh one.
            _rows = null;
            _statements = null;
            statements.Dispose();
            if (!_dialect.IsRace(ex))
            {
                _health.WriteFailed(ex);
            }

            throw;
        }
    }

    /// <summary>
    /// One message's batch continues its <c>ingest</c> span; a batch of several requests' messages has no one parent, so it
    /// links to each message's span instead.
    /// </summary>
    private static System.Diagnostics.Activity? StartCommitSpan(List<PendingInbound> batch)
    {
        var source = Telemetry.GatewayTracing.Source;
        var activity = batch.Count == 1
            ? source.StartActivity(Telemetry.GatewayTracing.StoreCommit, System.Diagnostics.ActivityKind.Internal, batch[0].Trace)
            : source.StartActivity(
                Telemetry.GatewayTracing.StoreCommit, System.Diagnostics.ActivityKind.Internal, default(System.Diagnostics.ActivityContext),
                links: batch.Where(p => p.Trace != default).Select(p => new System.Diagnostics.ActivityLink(p.Trace)).ToList());
        activity?.SetTag(Telemetry.GatewayTracing.BatchSizeTag, batch.Count);
        return activity;
    }

    private List<(PendingInbound, Ingested)> Store(IInboundStatements sql, List<PendingInbound> batch)
    {
        // Rows read for earlier batches still hold only while no other writer has committed since.
        if (_rows is null || _rows.Statements != sql || !sql.NothingChangedSince() || _rows.Count > MaxRemembered)
        {
            _rows = new InboundRows(sql);
        }

        var lookup = _rows;
        lookup.Prefetch(batch);
        var classifier = _rules.Current.Classifier;
        var now = _time.GetUtcNow();
        var results = new List<(PendingInbound, Ingested)>(batch.Count);
        var stored = new List<(PendingInbound Item, Conversation Conversation, Message Row, bool IsNew, Contact Contact, bool FromPending)>(batch.Count);

        foreach (var item in batch)
        {
            var message = item.Message;
            if (lookup.FindMessage(item.InstanceId, message.ProviderMessageId) is { } existing)
            {
                LogDuplicate(_logger, item.InstanceId, existing.MessageId);
                results.Add((item, new Ingested(new InboundResult(existing.MessageId, existing.ConversationId, Duplicate: true), null)));
                continue;
            }

            var sender = lookup.FindIdentity(item.InstanceId, message.Sender.ExternalId);
            var contact = ResolveContact(lookup, item, sender, now);
            var extras = item.Extras;
            // A threaded channel's message joins the conversation of its thread (the sender's own, still open); one of no
            // known thread starts its own where the channel keeps threads apart (email), else joins the open one.
            var conversation = extras is { ThreadConversations.Count: > 0 } ? lookup.ThreadConversation(contact.Id, extras.ThreadConversations) : null;
            if (conversation is null && extras is not { SeparateConversations: true })
            {
                conversation = lookup.OpenConversationOf(contact.Id);
            }

            // A machine's answer (an out-of-office) is kept, but opens nothing for routing and answers no survey.
            var automatic = extras?.AutoSubmitted == true;
            var isNew = conversation is null;
            // Routed as a conversation that opens now: a new one, or one the gateway started (a follow-up) that the
            // customer answers for the first time.
            var opens = isNew && !automatic;
            var fromPending = false;
            if (conversation is { Status: ConversationStatus.Pending } && !automatic)
            {
                var classification = classifier.Classify(message.Text, contact.IsVip, item.ChannelType, contact.OrderStage, message.Sender.Language);
                conversation.Status = ConversationStatus.Waiting;
                conversation.Skill = classification.Skill;
                conversation.Priority = classification.Priority;
                conversation.RoutingReason = classification.Reason;
                conversation.Language = classification.Language ?? conversation.Language;
                conversation.StepEnteredAt = now;
                conversation.LastInstanceId = item.InstanceId;
                conversation.LastExternalId = message.Sender.ExternalId;
                conversation.LastMessageAt = now;
                conversation.Tags = classifier.AddTags(conversation.Tags, message.Text);
                sql.OpenPending(conversation);
                opens = true;
                fromPending = true;
            }
            else if (conversation is null)
            {
                var classification = classifier.Classify(message.Text, contact.IsVip, item.ChannelType, contact.OrderStage, message.Sender.Language);
                conversation = new Conversation
                {
                    Id = Ids.NewVersion7(now),
                    ContactId = contact.Id,
                    Status = automatic ? ConversationStatus.Pending : ConversationStatus.Waiting,
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
                if (_webhooks.Wants(Webhooks.WebhookEventTypes.ConversationCreated))
                {
                    sql.InsertWebhookEvent(_webhooks.ConversationCreatedEvent(conversation, now));
                }
            }
            else
            {
                // The row is written when something a reader relies on changed: where replies go, or the
                // tags. Its last-message time is not kept up: readers take the newest message's time
                // (ConversationMessages.LastMessageAtAsync), and rewriting the row cost a random page of the
                // store for most messages of a busy customer. A snoozed conversation's is: the customer's message wakes it
                // (the update clears the snooze; the agent's desk sees the message come in as any other).
                var tags = classifier.AddTags(conversation.Tags, message.Text);
                if (conversation.LastInstanceId != item.InstanceId || conversation.LastExternalId != message.Sender.ExternalId
                    || tags != conversation.Tags || conversation.SnoozedAt is not null)
                {
                    conversation.SnoozedAt = null;
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
                ProviderKey = item.ProviderKey,
                CreatedAt = now,
            };
            // The message joins its conversation's chain of customer messages (no index by conversation).
            row.PreviousInboundId = lookup.Append(conversation.Id, isNew, row.Id, now);
            sql.InsertMessage(row);
            lookup.AddMessage(item.InstanceId, message.ProviderMessageId, row.Id, conversation.Id);
            if (_webhooks.Wants(Webhooks.WebhookEventTypes.MessageCreated))
            {
                sql.InsertWebhookEvent(Webhooks.WebhookOutbox.MessageEvent(conversation.Id, contact.Id, row, item.ChannelType, now));
            }
            if (extras is not null)
            {
                StoreExtras(sql, item, extras, row, conversation);
            }

            stored.Add((item, conversation, row, opens, contact, fromPending));
        }

        lookup.Flush();
        // Only a conversation that opens now is routed, so only it needs the agent the customer had.
        var stickySince = _routingOptions.Value.StickyDays > 0 ? now.AddDays(-_routingOptions.Value.StickyDays) : (DateTimeOffset?)null;
        var sticky = stickySince is { } since
            ? lookup.StickyAgentsOf(stored.Where(s => s.IsNew && s.Contact.ExclusiveAgentId is null).Select(s => s.Contact.Id), since)
            : [];
        foreach (var (item, conversation, row, isNew, contact, fromPending) in stored)
        {
            LogStored(_logger, item.InstanceId, row.Id, conversation.Id);
            var preferred = !isNew ? null : contact.ExclusiveAgentId ?? (sticky.TryGetValue(contact.Id, out var agent) ? agent : null);
            // A conversation the gateway started days ago waits in line from the customer's answer, not from then.
            var waitingSince = isNew && conversation.StepEnteredAt is { } entered && entered > conversation.CreatedAt ? entered : conversation.CreatedAt;
            var handOff = new RoutingHandOff(
                conversation.Id, conversation.Skill, conversation.Priority, waitingSince, conversation.Status, conversation.AssignedAgentId,
                item.ChannelType, isNew, preferred, row, fromPending)
            {
                Extras = item.Extras,
            };
            results.Add((item, new Ingested(new InboundResult(row.Id, conversation.Id, Duplicate: false), handOff)));
        }

        return results;
    }

    /// <summary>What the message carries beyond its text: its content row, its files bound to it, the conversation's subject, its reply context.</summary>
    private static void StoreExtras(IInboundStatements sql, PendingInbound item, InboundExtras extras, Message row, Conversation conversation)
    {
        if (extras.HasContent)
        {
            sql.InsertContent(new MessageContent
            {
                MessageId = row.Id,
                ConversationId = conversation.Id,
                InstanceId = item.InstanceId,
                ThreadKey = extras.Threaded ? item.ProviderKey : null,
                Subject = extras.Subject,
                Html = extras.Html,
                References = extras.References,
                AutoSubmitted = extras.AutoSubmitted,
                SpeakerId = extras.SpeakerId,
                SpeakerName = extras.SpeakerName,
                UnsupportedKind = extras.UnsupportedKind,
                UnsupportedSummary = extras.UnsupportedSummary,
                UnsupportedFailed = extras.UnsupportedFailed,
                OriginKind = extras.OriginKind,
                OriginReference = extras.OriginReference,
                OriginUrl = extras.OriginUrl,
                OriginTitle = extras.OriginTitle,
            });
        }

        if (extras.ReplyContext is { } context)
        {
            sql.SaveReplyContext(new ReplyContextEntry
            {
                ConversationId = conversation.Id,
                InstanceId = item.InstanceId,
                Value = context.Value,
                ExpiresAt = context.ExpiresAt,
                SingleUse = context.SingleUse,
                MessageId = row.Id,
            });
        }

        foreach (var attachment in extras.Attachments)
        {
            sql.BindAttachment(Guid.Parse(attachment.Id), row.Id, conversation.Id, item.InstanceId, attachment.ContentId);
        }

        if (extras.Subject is { } subject && conversation.Subject is null)
        {
            conversation.Subject = subject;
            sql.SetSubject(conversation.Id, subject);
        }
    }

    /// <summary>
    /// The message's contact; <paramref name="known"/> is the one its sender's identity belongs to, if any.
    /// Only what the channel proves (<see cref="PendingInbound.Phone"/>, <see cref="PendingInbound.Email"/>)
    /// joins the sender to another contact; what they typed stays on their own contact (<see cref="Fill"/>).
    /// </summary>
    private Contact ResolveContact(InboundRows lookup, PendingInbound item, Contact? known, DateTimeOffset now)
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

    private void Fill(InboundRows lookup, Contact contact, ChannelSender sender, string? phone, string? email)
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

    [LoggerMessage(EventId = 2009, Level = LogLevel.Information, Message = "Another writer stored a row of this batch first ({Reason}); storing its messages again, one by one")]
    private static partial void LogRace(ILogger logger, string reason);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Error, Message = "The inbound writer could not open the store; it tries again with the first message")]
    private static partial void LogOpenFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Checkpointing the store's write-ahead log failed; trying again shortly")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "An inbound message on instance {InstanceId} could not be stored; the channel tells the provider to retry")]
    private static partial void LogFailed(ILogger logger, Exception exception, string instanceId);

}

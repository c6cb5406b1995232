using System.Threading.Channels;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Delivery;

/// <summary>
/// Sends pending outbound messages through their channel. The store is the queue: a message is
/// pending until a send succeeds, a transient failure is retried with exponential backoff, and after
/// the last attempt (or a permanent failure) it is marked failed with the reason, visible to the agent.
/// </summary>
/// <remarks>
/// Several gateway instances share the queue, and each send has exactly one owner. An instance claims a message
/// when it has a slot to send it soon: at most <see cref="DeliveryOptions.Concurrency"/> sending and as many waiting
/// for the next free slot (never a backlog it will work through later), writing its
/// <see cref="GatewayInstance.Id"/> into <see cref="Message.DeliveryOwner"/> with a lease in
/// <see cref="Message.NextAttemptAt"/> (the attempt's timeout plus <see cref="LeaseMargin"/>) and counting the attempt;
/// the claims of one turn share a transaction. A send that starts more than a moment after its claim first checks, by one
/// conditional update, that the lease is still this instance's and unexpired, and renews it; the result is recorded
/// (with others that finished meanwhile) only while this instance still owns the message. An
/// instance that dies mid-send leaves its lease to expire, and then another instance sends the message again, with
/// the same <see cref="OutboundMessage.MessageId"/> (the idempotency key of providers that take one).
/// </remarks>
internal sealed partial class DeliveryService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    ChannelRegistry channels,
    GatewayEventBus events,
    GatewayInstance instance,
    StoreHealth storeHealth,
    StoreWriteGate writeGate,
    Conversations.ReplyTokens replyTokens,
    IOptions<DeliveryOptions> options,
    TimeProvider time,
    ILogger<DeliveryService> logger,
    Telemetry.GatewayMetrics metrics,
    Webhooks.WebhookOutbox webhooks) : BackgroundService
{
    /// <summary>How many of a thread's ids a reply names in its references at most (the newest).</summary>
    private const int MaxReferences = 20;

    /// <summary>
    /// How much longer than an attempt a lease lasts: an attempt is cancelled at <see cref="DeliveryOptions.AttemptTimeout"/>,
    /// and the margin covers recording its result and clocks of instances that differ by a few seconds.
    /// </summary>
    internal static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);

    /// <summary>A claim this recent is still this instance's: its lease has most of its time left.</summary>
    private static readonly TimeSpan FreshClaim = TimeSpan.FromSeconds(2);

    private readonly HashSet<Task> _finishing = [];

    private readonly Channel<PendingWrite> _records = Channel.CreateUnbounded<PendingWrite>(new UnboundedChannelOptions { SingleReader = true });

    private sealed record PendingWrite(Func<GatewayDbContext, Task<int>> Write, TaskCompletionSource<int> Done);

    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Tells the loop new work is there (a coalescing signal; the store holds the work).</summary>
    public void Signal() => _wake.Writer.TryWrite(true);


    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        var slots = settings.Concurrency;
        // Claimed, waiting for a slot: at most one round, so the next sends start the moment slots free instead of
        // after a claim's commit, and a claim serves several slots at once.
        var ready = new Queue<(ClaimedSend Claim, DateTimeOffset ClaimedAt)>(slots);
        var inFlight = new List<Task>(slots);
        var recorder = RecordLoopAsync();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                // Claim when at least half a round of room is there (one commit for several sends), or when idle.
                var room = 2 * slots - inFlight.Count - ready.Count;
                var more = false;
                if (room >= Math.Max(1, slots / 2))
                {
                    try
                    {
                        var claimed = await ClaimDueAsync(room, settings, stoppingToken);
                        var claimedAt = time.GetUtcNow();
                        foreach (var claim in claimed)
                        {
                            ready.Enqueue((claim, claimedAt));
                        }

                        // A full claim: more may be due.
                        more = claimed.Count == room;
                    }
                    catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                    {
                        return;
                    }
                    catch (Exception ex)
                    {
                        LogLoopFailed(logger, ex);
                    }
                }

                while (inFlight.Count < slots && ready.TryDequeue(out var next))
                {
                    inFlight.Add(AttemptAsync(next.Claim, next.ClaimedAt, settings, stoppingToken));
                }

                if (inFlight.Count >= slots)
                {
                    // Every slot is sending: wait for one to free.
                    await Task.WhenAny(inFlight).WaitAsync(stoppingToken);
                    continue;
                }

                if (!more)
                {
                    await WaitForWorkAsync(settings, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // stopping
        }
        finally
        {
            // The attempts stop on the same token; none is left running behind the host (their results are recorded first).
            await Task.WhenAll(inFlight);
            await ReleaseAsync([.. ready.Select(r => r.Claim.Message.Id)]);
            _records.Writer.TryComplete();
            await recorder;
            Task[] finishing;
            lock (_finishing)
            {
                finishing = [.. _finishing];
            }

            await Task.WhenAll(finishing);
        }
    }

    /// <summary>
    /// Gives back claims never sent (stopping): due again at once, their attempt not counted, so another instance (or
    /// this one after a restart) sends them without waiting for their leases to expire.
    /// </summary>
    private async Task ReleaseAsync(List<Guid> unsent)
    {
        if (unsent.Count == 0)
        {
            return;
        }

        var owner = instance.Id;
        var now = time.GetUtcNow();
        try
        {
            await RecordAsync(db => db.Messages
                .Where(m => unsent.Contains(m.Id) && m.Status == MessageStatus.Pending && m.DeliveryOwner == owner)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(m => m.NextAttemptAt, now)
                    .SetProperty(m => m.DeliveryOwner, (string?)null)
                    .SetProperty(m => m.Attempts, m => m.Attempts - 1), CancellationToken.None));
        }
        catch (Exception ex)
        {
            // Their leases expire and they are sent then.
            LogLoopFailed(logger, ex);
        }
    }

    private async Task WaitForWorkAsync(DeliveryOptions settings, CancellationToken stoppingToken)
    {
        using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        poll.CancelAfter(settings.PollInterval);
        try
        {
            await _wake.Reader.WaitToReadAsync(poll.Token);
            _wake.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // poll interval elapsed
        }
    }

    /// <summary>
    /// Claims at most <paramref name="limit"/> due messages for this instance, oldest due first, and reads what their
    /// sends need (the message, the conversation's agent, whether it is a survey, whether other identities of the customer
    /// may show it) in the same transaction: three statements and one commit for the whole turn.
    /// </summary>
    private async Task<List<ClaimedSend>> ClaimDueAsync(int limit, DeliveryOptions settings, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var candidates = await db.Messages.AsNoTracking()
            .Where(m => m.Status == MessageStatus.Pending && m.NextAttemptAt <= now)
            .OrderBy(m => m.NextAttemptAt)
            .Select(m => m.Id)
            .Take(limit)
            .ToListAsync(cancellationToken);

        if (candidates.Count == 0)
        {
            return [];
        }

        var lease = now + settings.AttemptTimeout + LeaseMargin;
        var owner = instance.Id;
        // Each claim counts its attempt: the send starts at once (a slot is free for each), so an attempt counts even if
        // its result is lost. Still pending and due when written: another instance that claimed one first moved its
        // NextAttemptAt past now (on PostgreSQL the condition is checked again once that instance's claim committed).
        using var turn = await writeGate.EnterAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await WriteAsync(() => db.Messages
            .Where(m => candidates.Contains(m.Id) && m.Status == MessageStatus.Pending && m.NextAttemptAt <= now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.NextAttemptAt, lease)
                .SetProperty(m => m.DeliveryOwner, owner)
                .SetProperty(m => m.Attempts, m => m.Attempts + 1), cancellationToken));

        // This instance's live claims among them are the ones just written (one still sending from an earlier turn was
        // not due, so not a candidate).
        var claimed = await (
                from m in db.Messages.AsNoTracking()
                where candidates.Contains(m.Id) && m.Status == MessageStatus.Pending && m.DeliveryOwner == owner && m.NextAttemptAt > now
                join c in db.Conversations on m.ConversationId equals c.Id
                select new ClaimedSend(
                    m,
                    c.AssignedAgentId,
                    m.AgentId == null ? db.FollowUps.Where(f => f.Id == m.Id).Select(f => f.Kind).FirstOrDefault() : null,
                    db.ChannelIdentities.Any(i => i.ContactId == c.ContactId && (i.InstanceId != m.InstanceId || i.ExternalId != m.ExternalId)),
                    db.Attachments.Any(a => a.MessageId == m.Id)))
            .ToListAsync(cancellationToken);

        await WriteAsync(async () =>
        {
            await transaction.CommitAsync(cancellationToken);
            return 0;
        });
        return claimed;
    }

    /// <summary>
    /// The files a message carries, and for a threaded channel (email) the conversation's subject and the thread it answers
    /// on this instance: the customer's newest message here (its references and its own id) and the replies sent here
    /// after it, so the customer's mail program shows one thread.
    /// </summary>
    private async Task<OutboundMessage> WithThreadAndFilesAsync(
        OutboundMessage outbound, Message message, bool hasFiles, ChannelCapabilities capabilities, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (hasFiles && capabilities.HasFlag(ChannelCapabilities.Attachments))
        {
            var files = await Attachments.AttachmentService.OfMessagesAsync(db, [message.Id], cancellationToken);
            outbound = outbound with { Attachments = files.GetValueOrDefault(message.Id)?.Select(Attachments.AttachmentService.ToContract).ToList() };
        }

        if (!capabilities.HasFlag(ChannelCapabilities.Threads))
        {
            return outbound;
        }

        var conversationId = message.ConversationId;
        var instanceId = message.InstanceId;
        var subject = await db.Conversations.Where(c => c.Id == conversationId).Select(c => c.Subject).FirstOrDefaultAsync(cancellationToken);
        var theirs = await (
                from c in db.MessageContents.AsNoTracking()
                where c.ConversationId == conversationId && c.InstanceId == instanceId && c.ThreadKey != null
                join m in db.Messages on c.MessageId equals m.Id
                orderby m.CreatedAt descending
                select new { m.ProviderMessageId, m.CreatedAt, c.References })
            .FirstOrDefaultAsync(cancellationToken);
        var since = theirs?.CreatedAt ?? DateTimeOffset.MinValue;
        var ours = await db.Messages.AsNoTracking()
            .Where(m => m.ConversationId == conversationId && m.Direction == MessageDirection.Out && m.InstanceId == instanceId
                && m.ProviderMessageId != null && m.Id != message.Id && m.CreatedAt >= since)
            .OrderBy(m => m.CreatedAt)
            .Select(m => m.ProviderMessageId!)
            .ToListAsync(cancellationToken);
        var references = new List<string>();
        if (theirs is not null)
        {
            references.AddRange((theirs.References ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries));
            references.Add(theirs.ProviderMessageId!);
        }

        references.AddRange(ours);
        references = references.Distinct().ToList();
        if (references.Count > MaxReferences)
        {
            // The thread's first message and the newest: what mail programs need to place it.
            references = [references[0], .. references[^(MaxReferences - 1)..]];
        }

        return outbound with
        {
            Subject = subject,
            Thread = references.Count == 0 ? null : new MessageThread { InReplyTo = references[^1], References = references, SeparateConversations = true },
        };
    }

    /// <summary>
    /// A message this instance claimed, read with its claim. <paramref name="OtherIdentities"/>: the customer has an
    /// identity besides the one it goes to, where it may be shown too (<see cref="ReplyFanOutService"/>).
    /// </summary>
    /// <summary>
    /// The reply context the customer's newest message on this instance gave (a LINE reply token), while it is valid; a
    /// single-use one is taken by one answer only, whichever delivery takes it first.
    /// </summary>
    private async Task<string?> TakeReplyContextAsync(Message message, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var context = await db.ReplyContexts.AsNoTracking()
            .Where(r => r.ConversationId == message.ConversationId && r.InstanceId == message.InstanceId && r.ExpiresAt > now)
            .Select(r => new { r.Value, r.SingleUse, r.MessageId })
            .FirstOrDefaultAsync(cancellationToken);
        if (context is null || !context.SingleUse)
        {
            return context?.Value;
        }

        var taken = await WriteAsync(() => db.ReplyContexts
            .Where(r => r.ConversationId == message.ConversationId && r.InstanceId == message.InstanceId && r.MessageId == context.MessageId)
            .ExecuteDeleteAsync(CancellationToken.None));
        return taken == 1 ? context.Value : null;
    }

    /// <summary>
    /// The wait before attempt <paramref name="attempts"/> + 1: doubling from the initial backoff up to the longest, then
    /// spread by ±20% (<paramref name="random"/> in [0, 1)) so the sends a provider's outage failed together do not all
    /// come back in the same instant.
    /// </summary>
    internal static TimeSpan Backoff(int attempts, double random, DeliveryOptions settings)
    {
        var doubled = Math.Min(settings.MaxBackoff.Ticks, settings.InitialBackoff.Ticks * (1L << Math.Clamp(attempts - 1, 0, 20)));
        return TimeSpan.FromTicks((long)(doubled * (0.8 + 0.4 * random)));
    }

    /// <param name="FollowUpKind">The follow-up the message is (its kind), null for an agent's answer or an automatic reply.</param>
    private sealed record ClaimedSend(Message Message, Guid? AgentId, string? FollowUpKind, bool OtherIdentities, bool HasFiles)
    {
        public bool Survey => FollowUpKind == FollowUpKinds.Survey;
    }

    private async Task AttemptAsync(ClaimedSend claim, DateTimeOffset claimedAt, DeliveryOptions settings, CancellationToken cancellationToken)
    {
        // Continues the trace of the request that wrote the reply (its row keeps the traceparent), whichever instance claimed it;
        // the outcome is set where the attempt is counted (GatewayMetrics.DeliveryAttempt).
        using var activity = Telemetry.GatewayTracing.StartContinuing(
            Telemetry.GatewayTracing.Deliver, System.Diagnostics.ActivityKind.Producer, claim.Message.TraceParent);
        if (activity is not null)
        {
            activity.SetTag(Telemetry.GatewayTracing.ChannelTag, claim.Message.InstanceId);
            activity.SetTag(Telemetry.GatewayTracing.ConversationTag, claim.Message.ConversationId);
            activity.SetTag(Telemetry.GatewayTracing.MessageTag, claim.Message.Id);
            activity.SetTag(Telemetry.GatewayTracing.AttemptTag, claim.Message.Attempts);
            activity.SetTag(Telemetry.GatewayTracing.InstanceTag, instance.Id);
        }

        try
        {
            await SendOwnedAsync(claim, claimedAt, settings, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping: the lease expires and another instance (or this one after a restart) sends it.
        }
        catch (Exception ex)
        {
            // The store (or the event bus) failed around the send: an attempt not recorded is tried again when its lease expires.
            LogAttemptFailed(logger, ex, claim.Message.Id);
        }
    }

    private async Task SendOwnedAsync(ClaimedSend claim, DateTimeOffset claimedAt, DeliveryOptions settings, CancellationToken cancellationToken)
    {
        var owner = instance.Id;
        var message = claim.Message;
        var messageId = message.Id;

        // The last look before the provider sees the message: still this instance's, lease not expired. A claim of a
        // moment ago is (its lease has all but seconds of its time left); an older one is checked and its lease renewed
        // by one conditional update.
        var startedAt = time.GetUtcNow();
        if (startedAt - claimedAt > FreshClaim)
        {
            var lease = startedAt + settings.AttemptTimeout + LeaseMargin;
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var started = await WriteAsync(() => db.Messages
                .Where(m => m.Id == messageId && m.Status == MessageStatus.Pending && m.DeliveryOwner == owner && m.NextAttemptAt > startedAt)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.NextAttemptAt, lease), CancellationToken.None));
            if (started == 0)
            {
                LogNotOwner(logger, messageId);
                return;
            }
        }

        var attempts = message.Attempts;
        DeliveryResult result;
        if (!channels.TryGetRunning(message.InstanceId, out var channel))
        {
            result = DeliveryResult.Permanent($"channel '{message.InstanceId}' is not running");
        }
        else
        {
            var outbound = new OutboundMessage
            {
                MessageId = message.Id,
                ConversationId = message.ConversationId,
                // The identity the reply was addressed to, and nothing else of the contact: after a merge a contact may
                // hold several numbers, and a reply must reach the one it was sent to (the SMS channel falls back from
                // Phone to the external id, which is the number that wrote in).
                Recipient = new ChannelRecipient { ExternalId = message.ExternalId },
                Text = message.Text,
                AgentName = message.AgentName,
                FollowUpKind = claim.FollowUpKind,
                Choices = claim.Survey ? Conversations.SurveyAnswers.Choices : null,
                CreatedAt = message.CreatedAt,
                ReplyToken = replyTokens.For(message.ConversationId),
            };
            var capabilities = channel.Plugin!.Capabilities;
            if (capabilities.HasFlag(ChannelCapabilities.ReplyContexts))
            {
                outbound = outbound with { ReplyContext = await TakeReplyContextAsync(message, cancellationToken) };
            }

            if ((claim.HasFiles && capabilities.HasFlag(ChannelCapabilities.Attachments)) || capabilities.HasFlag(ChannelCapabilities.Threads))
            {
                outbound = await WithThreadAndFilesAsync(outbound, message, claim.HasFiles, capabilities, cancellationToken);
            }

            using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            attempt.CancelAfter(settings.AttemptTimeout);
            try
            {
                result = await channel.Sender.SendAsync(outbound, attempt.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                result = DeliveryResult.Transient($"send timed out after {settings.AttemptTimeout.TotalSeconds:0} s");
            }
            catch (NotSupportedException ex)
            {
                result = DeliveryResult.Permanent(ex.Message);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogSendThrew(logger, ex, message.Id);
                result = DeliveryResult.Transient($"channel error: {ex.GetType().Name}");
            }
        }

        var now = time.GetUtcNow();
        MessageStatus status;
        string? error;
        DateTimeOffset? nextAttemptAt;
        var providerMessageId = message.ProviderMessageId;
        switch (result.Outcome)
        {
            case DeliveryOutcome.Sent or DeliveryOutcome.Delivered:
                status = result.Outcome == DeliveryOutcome.Delivered ? MessageStatus.Delivered : MessageStatus.Sent;
                providerMessageId = result.ProviderMessageId ?? providerMessageId;
                error = null;
                nextAttemptAt = null;
                LogSent(logger, message.Id, message.InstanceId, message.ConversationId, attempts);
                metrics.DeliveryAttempt(message.InstanceId, "sent");
                break;
            case DeliveryOutcome.TransientFailure when attempts < settings.MaxAttempts:
                var backoff = Backoff(attempts, Random.Shared.NextDouble(), settings);
                if (result.RetryAfter is { } asked && asked > backoff)
                {
                    // The provider said when it takes messages again (a 429's Retry-After): sooner only fails again.
                    backoff = asked < settings.MaxBackoff ? asked : settings.MaxBackoff;
                }

                status = MessageStatus.Pending;
                error = result.Error;
                nextAttemptAt = now + backoff;
                LogRetrying(logger, message.Id, message.InstanceId, message.ConversationId, attempts, backoff);
                metrics.DeliveryAttempt(message.InstanceId, "retry");
                LogReason(logger, message.Id, result.Error);
                break;
            default:
                status = MessageStatus.Failed;
                error = result.Error ?? "send failed";
                nextAttemptAt = null;
                LogFailed(logger, message.Id, message.InstanceId, message.ConversationId, attempts);
                LogReason(logger, message.Id, error);
                metrics.DeliveryAttempt(message.InstanceId, "failed");
                break;
        }

        // Only the owner records: the provider key is kept here because an update past the context skips SaveChanges.
        var providerKey = providerMessageId is null ? (long?)null : Message.KeyOf(message.InstanceId, MessageDirection.Out, providerMessageId);
        var recorded = RecordAsync(async writer => await WithFailedEventAsync(writer, status, message, error, await writer.Messages
            .Where(m => m.Id == messageId && m.Status == MessageStatus.Pending && m.DeliveryOwner == owner)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, status)
                .SetProperty(m => m.ProviderMessageId, providerMessageId)
                .SetProperty(m => m.ProviderKey, providerKey)
                .SetProperty(m => m.Error, error)
                .SetProperty(m => m.NextAttemptAt, nextAttemptAt)
                .SetProperty(m => m.DeliveryOwner, (string?)null)
                .SetProperty(m => m.UpdatedAt, now), CancellationToken.None)));
        // The slot is free once the provider answered: the result is recorded with others (its commit may wait for the
        // store's writer), and what it tells agents and the customer's other channels follows that commit.
        Track(FinishAsync(recorded, status, claim));
    }

    /// <summary>A reply given up on tells the shop's webhooks (<c>message.failed</c>), in the transaction that records it.</summary>
    private async Task<int> WithFailedEventAsync(GatewayDbContext db, MessageStatus status, Message message, string? error, int rows)
    {
        if (rows == 1 && status == MessageStatus.Failed && webhooks.Wants(Webhooks.WebhookEventTypes.MessageFailed))
        {
            await webhooks.MessageFailedAsync(db, message, error ?? "send failed");
            await db.SaveChangesAsync(CancellationToken.None);
        }

        return rows;
    }

    private async Task FinishAsync(Task<int> recorded, MessageStatus status, ClaimedSend claim)
    {
        var message = claim.Message;
        try
        {
            if (await recorded == 0)
            {
                LogResultNotRecorded(logger, message.Id);
                return;
            }

            if (status != MessageStatus.Pending && claim.AgentId is { } agentId)
            {
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageStatus, message.ConversationId, agentId, message.Id));
            }

            if ((status is MessageStatus.Sent or MessageStatus.Delivered) && claim.OtherIdentities)
            {
                // The customer's other live channels in this conversation show it too (ReplyFanOutService, on every instance);
                // a customer known by this one identity has none.
                await events.PublishAsync(new GatewayEvent(ReplyFanOutService.ReplySent, message.ConversationId, MessageId: message.Id));
            }
        }
        catch (Exception ex)
        {
            // Not recorded: tried again when its lease expires. Recorded but not announced: the agent sees it on the next load.
            LogAttemptFailed(logger, ex, message.Id);
        }
    }

    /// <summary>Keeps a send's finishing part until it is done, so stopping waits for it.</summary>
    private void Track(Task finishing)
    {
        lock (_finishing)
        {
            _finishing.Add(finishing);
        }

        finishing.ContinueWith(
            done =>
            {
                lock (_finishing)
                {
                    _finishing.Remove(done);
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// Records a send's result together with the others that finished meanwhile: one transaction, one commit, for all
    /// (at a thousand sends a second, a commit each would be the limit). Completes once committed.
    /// </summary>
    private Task<int> RecordAsync(Func<GatewayDbContext, Task<int>> write)
    {
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!_records.Writer.TryWrite(new PendingWrite(write, done)))
        {
            done.SetException(new InvalidOperationException("Delivery is stopping."));
        }

        return done.Task;
    }

    private async Task RecordLoopAsync()
    {
        var batch = new List<PendingWrite>(256);
        while (await _records.Reader.WaitToReadAsync(CancellationToken.None))
        {
            batch.Clear();
            while (batch.Count < 256 && _records.Reader.TryRead(out var write))
            {
                batch.Add(write);
            }

            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                using var turn = await writeGate.EnterAsync(CancellationToken.None);
                await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
                var rows = new int[batch.Count];
                for (var i = 0; i < batch.Count; i++)
                {
                    rows[i] = await batch[i].Write(db);
                }

                await transaction.CommitAsync(CancellationToken.None);
                storeHealth.WriteSucceeded();
                for (var i = 0; i < batch.Count; i++)
                {
                    batch[i].Done.SetResult(rows[i]);
                }
            }
            catch (Exception ex)
            {
                storeHealth.WriteFailed(ex);
                // Each on its own, so one that cannot be written does not take the others with it.
                foreach (var write in batch)
                {
                    try
                    {
                        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
                        write.Done.SetResult(await WriteAsync(() => write.Write(db)));
                    }
                    catch (Exception one)
                    {
                        write.Done.SetException(one);
                    }
                }
            }
        }
    }

    /// <summary>Runs one write and tells <see cref="StoreHealth"/> how it went, so readiness sees a store that refuses writes.</summary>
    private async Task<int> WriteAsync(Func<Task<int>> write)
    {
        try
        {
            var rows = await write();
            storeHealth.WriteSucceeded();
            return rows;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            storeHealth.WriteFailed(ex);
            throw;
        }
    }

    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Message {MessageId} sent through {InstanceId} in conversation {ConversationId} (attempt {Attempt})")]
    private static partial void LogSent(ILogger logger, Guid messageId, string instanceId, Guid conversationId, int attempt);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Message {MessageId} through {InstanceId} in conversation {ConversationId}: attempt {Attempt} failed; retrying in {Backoff}")]
    private static partial void LogRetrying(ILogger logger, Guid messageId, string instanceId, Guid conversationId, int attempt, TimeSpan backoff);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Error, Message = "Message {MessageId} through {InstanceId} in conversation {ConversationId} failed after {Attempts} attempts; the agent sees the reason")]
    private static partial void LogFailed(ILogger logger, Guid messageId, string instanceId, Guid conversationId, int attempts);

    // A provider's reason can quote the recipient's number, so it stays at Debug.
    [LoggerMessage(EventId = 4005, Level = LogLevel.Debug, Message = "Message {MessageId} send failure reason: {Reason}")]
    private static partial void LogReason(ILogger logger, Guid messageId, string? reason);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Channel threw while sending message {MessageId}")]
    private static partial void LogSendThrew(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "Delivery loop failed; continuing")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Warning, Message = "Message {MessageId} was not sent: its claim expired or another instance owns it now")]
    private static partial void LogNotOwner(ILogger logger, Guid messageId);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Message {MessageId}: the result of this attempt was not recorded, another instance took the send over after this one's lease expired")]
    private static partial void LogResultNotRecorded(ILogger logger, Guid messageId);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Error, Message = "Send attempt of message {MessageId} failed outside the channel; unless its result was recorded, it is tried again when its lease expires")]
    private static partial void LogAttemptFailed(ILogger logger, Exception exception, Guid messageId);
}

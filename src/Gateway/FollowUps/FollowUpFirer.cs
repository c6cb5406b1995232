using System.Globalization;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.FollowUps;

/// <summary>
/// Fires a due follow-up once. First it asks whether the follow-up is still right (paid? cancelled? answered? opted out?
/// too late? too many already?) and which of the buyer's channels can take it now; then, in one transaction, it claims
/// the planned row and stores the message as an outbound message of the buyer's conversation, whose id is the
/// follow-up's: whatever fires it twice (two instances, a retry after a crash) stores and sends one message. The
/// delivery worker sends it like an agent's reply (retries, dead letters, status; the id is the provider's
/// idempotency key where it takes one).
/// </summary>
internal sealed partial class FollowUpFirer(
    IDbContextFactory<GatewayDbContext> dbFactory,
    FollowUpSettings options,
    IOptionsMonitor<RoutingOptions> routing,
    ShopTime shop,
    ChannelRegistry channels,
    DeliveryService delivery,
    GatewayEventBus events,
    IFollowUpScheduler scheduler,
    IEnumerable<IFollowUpKindHandler> handlers,
    RoutingRules rules,
    StoreDialect dialect,
    StoreWriteGate writeGate,
    TimeProvider time,
    ILogger<FollowUpFirer> logger,
    Telemetry.GatewayMetrics metrics,
    Webhooks.WebhookOutbox webhooks) : IFollowUpFirer
{
    public async Task<FollowUpOutcome?> FireAsync(Guid followUpId, CancellationToken cancellationToken) =>
        (await FireAsync([followUpId], cancellationToken))[0];

    public async Task<IReadOnlyList<FollowUpOutcome?>> FireAsync(IReadOnlyList<Guid> followUpIds, CancellationToken cancellationToken)
    {
        // The messages this run stores keep its trace, so their delivery continues it (Message.TraceParent).
        using var activity = Telemetry.GatewayTracing.Source.StartActivity(Telemetry.GatewayTracing.FollowUp);
        activity?.SetTag(Telemetry.GatewayTracing.CountTag, followUpIds.Count);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await FireBatchAsync(followUpIds, cancellationToken);
            }
            catch (Exception ex) when (ex is DbUpdateException or System.Data.Common.DbException && dialect.IsRace(ex.InnerException ?? ex))
            {
                if (followUpIds.Count > 1)
                {
                    // Another instance created a buyer's identity or conversation at the same moment: the batch is
                    // rolled back whole; each is fired on its own, finding what the other stored.
                    var outcomes = new List<FollowUpOutcome?>(followUpIds.Count);
                    foreach (var id in followUpIds)
                    {
                        outcomes.Add(await FireAsync(id, cancellationToken));
                    }

                    return outcomes;
                }

                if (attempt >= 3)
                {
                    throw;
                }
            }
        }
    }

    /// <summary>A message decided on in the first pass, stored in the second.</summary>
    private sealed record Send(int Index, FollowUp FollowUp, Contact Contact, Target Target, string Text);

    /// <summary>
    /// Fires due follow-ups in one transaction: first it works out, reading only, what each should do now (skip with a
    /// reason, move out of quiet hours, or which message on which channel); then one transaction claims and records them
    /// all, each buyer's locked and their caps checked again before their message is stored; one commit for the batch.
    /// </summary>
    private async Task<IReadOnlyList<FollowUpOutcome?>> FireBatchAsync(IReadOnlyList<Guid> ids, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var o = options.Current;
        var outcomes = new FollowUpOutcome?[ids.Count];
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var rows = (await db.FollowUps.Where(f => ids.Contains(f.Id)).ToListAsync(cancellationToken)).ToDictionary(f => f.Id);
        var reads = new BatchReads(db, rows.Values, o, now);
        await reads.PrepareAsync(cancellationToken);
        var skips = new List<(int Index, FollowUp FollowUp, string Reason)>();
        var sends = new List<Send>();
        var handled = new List<int>();
        var resync = new List<Guid>();
        var moved = new List<FollowUp>();
        for (var i = 0; i < ids.Count; i++)
        {
            if (!rows.TryGetValue(ids[i], out var followUp) || followUp.Status != FollowUpStatus.Planned)
            {
                continue;
            }

            if (followUp.DueAt > now + TimeSpan.FromSeconds(1))
            {
                // Fired early (a trigger left from before the follow-up was moved): the scheduler fires it again at its time.
                resync.Add(followUp.Id);
                continue;
            }

            if (handlers.Any(h => h.Kind == followUp.Kind))
            {
                handled.Add(i);
                continue;
            }

            var rule = followUp.Kind == FollowUpKinds.Greeting ? o.Rule(FollowUpKinds.Greeting) : o.Rule(followUp.Rule ?? followUp.Kind);
            var stale = rule == FollowUpRule.Disabled ? TimeSpan.FromHours(6) : rule.StaleAfter;
            if (now - followUp.DueAt > stale)
            {
                skips.Add((i, followUp, $"stale: due {shop.Describe(followUp.DueAt)} shop time, the gateway got to it {Hours(now - followUp.DueAt)} late"));
                continue;
            }

            if (shop.IsQuiet(now))
            {
                // Quiet hours (after downtime, or a follow-up moved into them): at their end, if still right then.
                followUp.DueAt = shop.OutOfQuietHours(now).ToUniversalTime();
                followUp.UpdatedAt = now;
                followUp.Reason = "moved out of quiet hours";
                moved.Add(followUp);
                continue;
            }

            var contact = reads.Contact(followUp.ContactId);
            var order = followUp.OrderId is { } orderId ? reads.Order(orderId) : null;
            if (await WhyNotNowAsync(db, reads, followUp, contact, order, rule, o, now, cancellationToken) is { } reason)
            {
                skips.Add((i, followUp, reason));
                continue;
            }

            var (target, why) = await ChooseChannelAsync(db, reads, followUp, contact, order, rule, cancellationToken);
            if (target is null)
            {
                skips.Add((i, followUp, $"no channel can reach the buyer now: {why}"));
                continue;
            }

            var latest = await reads.LatestConversationAsync(contact.Id, cancellationToken);
            var language = latest?.Language is "zh" or "en" ? latest.Language : o.DefaultLanguage;
            var templates = followUp.Kind == FollowUpKinds.Greeting
                ? o.Greetings.FirstOrDefault(g => g.Name == followUp.Rule)?.Templates ?? []
                : followUp.Kind == FollowUpKinds.OrderConfirmation && followUp.Step > 1 ? rule.SecondTemplates : rule.Templates;
            var template = templates.GetValueOrDefault(language) ?? templates.GetValueOrDefault(o.DefaultLanguage) ?? templates.Values.FirstOrDefault();
            if (template is null)
            {
                skips.Add((i, followUp, "no text configured for it"));
                continue;
            }

            var agentName = followUp.AgentId is { } agentId
                ? await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => a.DisplayName).FirstOrDefaultAsync(cancellationToken)
                : null;
            sends.Add(new Send(i, followUp, contact, target.Value, Templates.Render(template, Variables(o, contact, order, agentName, now, language))));
        }

        var published = new List<(Conversation Conversation, Guid MessageId)>();
        if (skips.Count + sends.Count + moved.Count > 0)
        {
            using var turn = await writeGate.EnterAsync(cancellationToken);
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            foreach (var (index, followUp, reason) in skips)
            {
                var skipped = await db.FollowUps.Where(x => x.Id == followUp.Id && x.Status == FollowUpStatus.Planned)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(x => x.Status, FollowUpStatus.Skipped)
                        .SetProperty(x => x.Reason, reason)
                        .SetProperty(x => x.DoneAt, now)
                        .SetProperty(x => x.UpdatedAt, now), cancellationToken);
                // Another firing that got there first has its own outcome: this one is none.
                outcomes[index] = skipped == 1 ? FollowUpOutcome.Skipped(reason) : null;
            }

            if (sends.Count > 0)
            {
                var inTransaction = await TransactionReads.LockAsync(db, sends.Select(x => x.Contact.Id), o, now, cancellationToken);
                foreach (var send in sends.OrderBy(x => x.Contact.Id).ThenBy(x => x.FollowUp.DueAt))
                {
                    var (followUp, contact, target) = (send.FollowUp, send.Contact, send.Target);
                    if (!await ClaimAsync(db, followUp, cancellationToken))
                    {
                        continue;
                    }

                    // The caps again, with what was sent to the buyer up to now (other instances, earlier in this batch).
                    if (followUp.Kind != FollowUpKinds.Callback && CapReason(followUp, inTransaction.Sent[contact.Id], o, now) is { } capped)
                    {
                        outcomes[send.Index] = FollowUpOutcome.Skipped(capped);
                        Record(followUp, outcomes[send.Index]!, now);
                        continue;
                    }

                    if (target.Identity is null && inTransaction.Identities.Add((target.InstanceId, target.ExternalId)))
                    {
                        db.ChannelIdentities.Add(new ChannelIdentity
                        {
                            Id = Ids.NewVersion7(now), ContactId = contact.Id, InstanceId = target.InstanceId, ExternalId = target.ExternalId, CreatedAt = now,
                        });
                    }

                    var conversation = await ConversationForAsync(db, inTransaction, followUp, contact, target, now, cancellationToken);
                    db.Messages.Add(new Message
                    {
                        Id = followUp.Id,
                        ConversationId = conversation.Id,
                        InstanceId = target.InstanceId,
                        ExternalId = target.ExternalId,
                        Direction = MessageDirection.Out,
                        Text = send.Text,
                        Status = MessageStatus.Pending,
                        AgentName = o.ShopName,
                        NextAttemptAt = now,
                        CreatedAt = now,
                    });
                    followUp.ConversationId = conversation.Id;
                    outcomes[send.Index] = FollowUpOutcome.Sent(target.InstanceId);
                    Record(followUp, outcomes[send.Index]!, now);
                    inTransaction.Sent.Add(contact.Id, new BatchReads.SentRow(followUp.Id, contact.Id, followUp.Kind, now, followUp.OrderId));
                    if (conversation.Status == ConversationStatus.Assigned && conversation.AssignedAgentId is not null)
                    {
                        published.Add((conversation, followUp.Id));
                    }
                }
            }

            webhooks.FollowUpsDone(db, ids, outcomes, rows);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        if (sends.Count > 0)
        {
            delivery.Signal();
        }

        foreach (var (conversation, messageId) in published)
        {
            var message = await db.Messages.AsNoTracking().FirstAsync(m => m.Id == messageId, CancellationToken.None);
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, conversation.AssignedAgentId, message.Id, message.ToDto(channels.ChannelTypeOf)));
        }

        foreach (var i in Enumerable.Range(0, ids.Count).Where(i => outcomes[i] is not null))
        {
            var f = rows[ids[i]];
            LogFired(logger, f.Id, f.Kind, outcomes[i]!.Status, outcomes[i]!.Reason ?? outcomes[i]!.Channel ?? "");
        }

        foreach (var f in moved)
        {
            LogMoved(logger, f.Id, f.Kind);
        }

        if (resync.Count + moved.Count > 0)
        {
            await scheduler.SyncAsync([.. resync, .. moved.Select(f => f.Id)], cancellationToken);
        }

        foreach (var i in handled)
        {
            outcomes[i] = await FireHandledAsync(ids[i], cancellationToken);
        }

        for (var i = 0; i < ids.Count; i++)
        {
            if (outcomes[i] is { Status: FollowUpStatus.Sent or FollowUpStatus.Skipped } done && rows.TryGetValue(ids[i], out var row))
            {
                metrics.FollowUpDone(row.Kind, done.Status == FollowUpStatus.Sent ? "sent" : "skipped");
            }
        }

        return outcomes;
    }

    /// <summary>A follow-up that is not a message to the buyer (a promised callback): its kind's handler acts on it.</summary>
    private async Task<FollowUpOutcome?> FireHandledAsync(Guid followUpId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var followUp = await db.FollowUps.FirstOrDefaultAsync(f => f.Id == followUpId, cancellationToken);
        if (followUp is null || followUp.Status != FollowUpStatus.Planned || handlers.FirstOrDefault(h => h.Kind == followUp.Kind) is not { } handler)
        {
            return null;
        }

        await using var handled = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await ClaimAsync(db, followUp, cancellationToken))
        {
            return null;
        }

        var decided = await handler.FireAsync(db, followUp, cancellationToken);
        var outcome = decided.Outcome;
        Record(followUp, outcome, now);
        await db.SaveChangesAsync(cancellationToken);
        await handled.CommitAsync(cancellationToken);
        // Told only now that it is done: a failed commit throws above and tells nobody; a retry tells once.
        decided.Committed?.Invoke();
        foreach (var committed in decided.Events)
        {
            try
            {
                await events.PublishAsync(committed);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPublishFailed(logger, ex, followUp.Id, committed.Type);
            }
        }

        LogFired(logger, followUp.Id, followUp.Kind, outcome.Status, outcome.Reason ?? outcome.Channel ?? "");
        return outcome;
    }

    /// <summary>
    /// What a batch's follow-ups need to know about their buyers, read for the whole batch at once: contacts (merges
    /// followed), orders, channel identities, conversations and the follow-ups sent to them lately (for the caps).
    /// </summary>
    private sealed class BatchReads
    {
        private readonly GatewayDbContext _db;
        private readonly IReadOnlyCollection<FollowUp> _rows;
        private readonly FollowUpOptions _options;
        private readonly DateTimeOffset _now;
        private Dictionary<Guid, Contact>? _contacts;
        private Dictionary<Guid, Order>? _orders;
        private ILookup<Guid, ChannelIdentity>? _identities;
        private ILookup<Guid, ConversationRow>? _conversations;
        private ILookup<Guid, SentRow>? _sent;

        public BatchReads(GatewayDbContext db, IReadOnlyCollection<FollowUp> rows, FollowUpOptions o, DateTimeOffset now)
        {
            _db = db;
            _rows = rows;
            _options = o;
            _now = now;
        }

        public sealed record ConversationRow(Guid Id, Guid ContactId, DateTimeOffset CreatedAt, string LastInstanceId, string? Language);

        public sealed record SentRow(Guid Id, Guid ContactId, string Kind, DateTimeOffset? DoneAt, Guid? OrderId);

        /// <summary>Reads the batch's contacts (following merges to the kept ones) and orders.</summary>
        public async Task PrepareAsync(CancellationToken cancellationToken)
        {
            var planned = _rows.Where(f => f.Status == FollowUpStatus.Planned).ToList();
            var ids = planned.Select(f => f.ContactId).Distinct().ToList();
            var contacts = await _db.Contacts.AsNoTracking().Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
            var orderIds = planned.Where(f => f.OrderId != null).Select(f => f.OrderId!.Value).Distinct().ToList();
            _orders = orderIds.Count == 0 ? [] : await _db.Orders.AsNoTracking().Where(x => orderIds.Contains(x.Id)).ToDictionaryAsync(x => x.Id, cancellationToken);
            _contacts = [];
            foreach (var id in ids)
            {
                var contact = contacts[id];
                for (var hops = 0; contact.MergedIntoId is { } into && hops < 16; hops++)
                {
                    contact = contacts.TryGetValue(into, out var kept) ? kept : await _db.Contacts.AsNoTracking().FirstAsync(c => c.Id == into, cancellationToken);
                    contacts[contact.Id] = contact;
                }

                _contacts[id] = contact;
            }
        }

        /// <summary>The contact kept for a follow-up's <paramref name="contactId"/> (merges followed).</summary>
        public Contact Contact(Guid contactId) => _contacts![contactId];

        public Order? Order(Guid orderId) => _orders!.GetValueOrDefault(orderId);

        public async Task<IEnumerable<ChannelIdentity>> IdentitiesAsync(Guid contactId, CancellationToken cancellationToken)
        {
            _identities ??= await LoadAsync(ids => _db.ChannelIdentities.AsNoTracking().Where(i => ids.Contains(i.ContactId)), i => i.ContactId, cancellationToken);
            return _identities[contactId];
        }

        public async Task<IEnumerable<ConversationRow>> ConversationsAsync(Guid contactId, CancellationToken cancellationToken)
        {
            _conversations ??= await LoadAsync(
                ids => _db.Conversations.AsNoTracking().Where(c => ids.Contains(c.ContactId)).Select(c => new ConversationRow(c.Id, c.ContactId, c.CreatedAt, c.LastInstanceId, c.Language)),
                c => c.ContactId, cancellationToken);
            return _conversations[contactId];
        }

        public async Task<ConversationRow?> LatestConversationAsync(Guid contactId, CancellationToken cancellationToken) =>
            (await ConversationsAsync(contactId, cancellationToken)).MaxBy(c => c.CreatedAt);

        public async Task<IEnumerable<SentRow>> SentAsync(Guid contactId, CancellationToken cancellationToken)
        {
            _sent ??= (await SentLatelyAsync(_db, _contacts!.Values.Select(c => c.Id).Distinct().ToList(), _options, _now, cancellationToken)).ToLookup(x => x.ContactId);
            return _sent[contactId];
        }

        /// <summary>Rows of every contact of the batch (the kept ones), by contact.</summary>
        private async Task<ILookup<Guid, T>> LoadAsync<T>(Func<List<Guid>, IQueryable<T>> query, Func<T, Guid> key, CancellationToken cancellationToken)
        {
            var ids = _contacts!.Values.Select(c => c.Id).Distinct().ToList();
            return (await query(ids).ToListAsync(cancellationToken)).ToLookup(key);
        }
    }

    /// <summary>
    /// Read inside the sending transaction, after the batch's buyers are locked (a no-op write to their rows: row locks on
    /// PostgreSQL, the write lock on SQLite): what was sent to them lately, the channel identities taken and their open
    /// conversations; kept up to date as the batch adds to them, so the batch needs one read of each, not one per message.
    /// </summary>
    private sealed class TransactionReads
    {
        public required SentByContact Sent { get; init; }

        public required HashSet<(string InstanceId, string ExternalId)> Identities { get; init; }

        /// <summary>Each buyer's open conversation (newest), as the batch leaves it.</summary>
        public required Dictionary<Guid, Conversation> Open { get; init; }

        public static async Task<TransactionReads> LockAsync(GatewayDbContext db, IEnumerable<Guid> contactIds, FollowUpOptions o, DateTimeOffset now, CancellationToken cancellationToken)
        {
            var ids = contactIds.Distinct().Order().ToList();
            if (db.Database.IsSqlite())
            {
                // One write takes SQLite's write lock for the whole transaction.
                await db.Contacts.Where(c => ids.Contains(c.Id)).ExecuteUpdateAsync(s => s.SetProperty(c => c.OrderStage, c => c.OrderStage), cancellationToken);
            }
            else
            {
                // Row locks one at a time in id order, as every instance takes them: two batches never wait on each other in a circle.
                foreach (var id in ids)
                {
                    await db.Contacts.Where(c => c.Id == id).ExecuteUpdateAsync(s => s.SetProperty(c => c.OrderStage, c => c.OrderStage), cancellationToken);
                }
            }

            var sent = await SentLatelyAsync(db, ids, o, now, cancellationToken);
            var identities = await db.ChannelIdentities.AsNoTracking().Where(i => ids.Contains(i.ContactId))
                .Select(i => new { i.InstanceId, i.ExternalId }).ToListAsync(cancellationToken);
            var open = await db.Conversations.Where(c => ids.Contains(c.ContactId) && c.Status != ConversationStatus.Closed).ToListAsync(cancellationToken);
            return new TransactionReads
            {
                Sent = new SentByContact(sent),
                Identities = [.. identities.Select(i => (i.InstanceId, i.ExternalId))],
                Open = open.GroupBy(c => c.ContactId).ToDictionary(g => g.Key, g => g.MaxBy(c => c.CreatedAt)!),
            };
        }
    }

    private sealed class SentByContact(IEnumerable<BatchReads.SentRow> rows)
    {
        private readonly Dictionary<Guid, List<BatchReads.SentRow>> _rows = rows.GroupBy(r => r.ContactId).ToDictionary(g => g.Key, g => g.ToList());

        public IEnumerable<BatchReads.SentRow> this[Guid contactId] => _rows.GetValueOrDefault(contactId) ?? [];

        public void Add(Guid contactId, BatchReads.SentRow row)
        {
            if (!_rows.TryGetValue(contactId, out var list))
            {
                _rows[contactId] = list = [];
            }

            list.Add(row);
        }
    }

    /// <summary>Why the follow-up is no longer right, in words a shop reads; null when it is.</summary>
    private async Task<string?> WhyNotNowAsync(
        GatewayDbContext db, BatchReads reads, FollowUp f, Contact contact, Order? order, FollowUpRule rule, FollowUpOptions o, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (contact.OptOutAllAt is not null)
        {
            return "the buyer declined all messages from the shop";
        }

        if (rule.Marketing && contact.MarketingOptOutAt is not null)
        {
            return "the buyer declined marketing";
        }

        if (f.OrderId is not null && order is null)
        {
            return "the order is gone";
        }

        switch (f.Kind)
        {
            case FollowUpKinds.PaymentReminder:
            case FollowUpKinds.OrderConfirmation when f.Step > 1:
                if (order!.State != OrderState.Created)
                {
                    return order.State switch
                    {
                        OrderState.Cancelled => "order cancelled",
                        OrderState.Refunded or OrderState.RefundRequested => "refund",
                        _ => "paid",
                    };
                }

                if (f.Kind == FollowUpKinds.OrderConfirmation && await AnsweredSinceAsync(db, contact.Id, order.CreatedAt, cancellationToken))
                {
                    return "the buyer answered";
                }

                break;
            case FollowUpKinds.OrderConfirmation:
            case FollowUpKinds.Shipped:
                if (order!.State is OrderState.Cancelled or OrderState.Refunded)
                {
                    return order.State == OrderState.Cancelled ? "order cancelled" : "refunded";
                }

                break;
            case FollowUpKinds.DeliveryCheckIn:
            case FollowUpKinds.ReviewRequest:
            case FollowUpKinds.ReturnVisit:
                if (order!.State is not (OrderState.Delivered or OrderState.Shipped))
                {
                    return order.State switch
                    {
                        OrderState.RefundRequested => "refund requested",
                        OrderState.Refunded => "refunded",
                        OrderState.Cancelled => "order cancelled",
                        _ => "the order is not delivered",
                    };
                }

                if (f.Kind == FollowUpKinds.ReviewRequest && await ProblemAfterCheckInAsync(db, f, contact.Id, cancellationToken) is { } problem)
                {
                    return problem;
                }

                break;
            case FollowUpKinds.Survey:
                var surveyed = f.ConversationId is { } cid ? await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == cid, cancellationToken) : null;
                if (surveyed is null || surveyed.Status != ConversationStatus.Closed)
                {
                    return "the conversation is open again";
                }

                if (surveyed.SurveyRating is not null)
                {
                    return "already rated";
                }

                break;
        }

        return f.Kind is FollowUpKinds.Callback ? null : CapReason(f, await reads.SentAsync(contact.Id, cancellationToken), o, now);
    }

    /// <summary>
    /// The frequency caps: at most one payment reminder per buyer per <see cref="FollowUpOptions.PaymentReminderGap"/> across
    /// their orders, and at most <see cref="FollowUpOptions.MaxPerContactPerDay"/> follow-ups a day. Checked again inside the
    /// sending transaction, after the buyer's row is locked, so two due at once for one buyer cannot both pass.
    /// </summary>
    /// <summary>The follow-ups sent to these buyers within the caps' window (callbacks, scheduled replies and snooze wakes aside: they are the agent's, not the buyer's).</summary>
    private static Task<List<BatchReads.SentRow>> SentLatelyAsync(GatewayDbContext db, List<Guid> contactIds, FollowUpOptions o, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var dayAgo = now - TimeSpan.FromHours(24);
        var gap = now - o.PaymentReminderGap;
        var since = gap < dayAgo ? gap : dayAgo;
        return db.FollowUps.AsNoTracking()
            .Where(x => contactIds.Contains(x.ContactId) && x.Status == FollowUpStatus.Sent && x.Kind != FollowUpKinds.Callback
                && x.Kind != FollowUpKinds.ScheduledReply && x.Kind != FollowUpKinds.SnoozeWake && x.DoneAt >= since)
            .Select(x => new BatchReads.SentRow(x.Id, x.ContactId, x.Kind, x.DoneAt, x.OrderId))
            .ToListAsync(cancellationToken);
    }

    private static string? CapReason(FollowUp f, IEnumerable<BatchReads.SentRow> sentRows, FollowUpOptions o, DateTimeOffset now)
    {
        var dayAgo = now - TimeSpan.FromHours(24);
        var since = now - o.PaymentReminderGap;
        var sent = sentRows.Where(x => x.Id != f.Id).ToList();
        // An order's own reminders are a shop day apart by design (23 hours on the day clocks go forward): only other
        // orders' reminders count against the gap.
        if (f.Kind == FollowUpKinds.PaymentReminder
            && sent.Where(x => x.Kind == FollowUpKinds.PaymentReminder && x.OrderId != f.OrderId && x.DoneAt >= since).Max(x => x.DoneAt) is { } last)
        {
            return $"cap: a payment reminder went to this buyer {Hours(now - last)} ago (at most one per {Hours(o.PaymentReminderGap)})";
        }

        var today = sent.Count(x => x.DoneAt >= dayAgo);
        return today >= o.MaxPerContactPerDay
            ? $"cap: {today} follow-ups went to this buyer in the last 24 h (at most {o.MaxPerContactPerDay})"
            : null;
    }

    /// <summary>The buyer answered the delivery check-in with a problem (a complaint or after-sale keyword): no review request.</summary>
    private async Task<string?> ProblemAfterCheckInAsync(GatewayDbContext db, FollowUp review, Guid contactId, CancellationToken cancellationToken)
    {
        var checkIn = await db.FollowUps.AsNoTracking()
            .Where(x => x.OrderId == review.OrderId && x.Kind == FollowUpKinds.DeliveryCheckIn && x.Status == FollowUpStatus.Sent)
            .Select(x => new { x.DoneAt, x.ConversationId })
            .FirstOrDefaultAsync(cancellationToken);
        if (checkIn?.DoneAt is not { } sentAt)
        {
            return null;
        }

        var conversations = await db.Conversations.AsNoTracking().Where(c => c.ContactId == contactId).Select(c => c.Id).ToListAsync(cancellationToken);
        var answers = await db.Messages.AsNoTracking()
            .Where(m => conversations.Contains(m.ConversationId) && m.Direction == MessageDirection.In && m.CreatedAt >= sentAt)
            .OrderBy(m => m.CreatedAt).Select(m => m.Text).Take(20).ToListAsync(cancellationToken);
        var classifier = rules.Current.Classifier;
        var problem = routing.CurrentValue;
        foreach (var text in answers)
        {
            var c = classifier.Classify(text, isVip: false);
            if (c.Reason.StartsWith("rule ", StringComparison.Ordinal) && !string.Equals(c.Skill, problem.DefaultSkill, StringComparison.OrdinalIgnoreCase))
            {
                return $"the buyer answered the delivery check-in with a problem ({c.Skill})";
            }
        }

        return null;
    }

    private static async Task<bool> AnsweredSinceAsync(GatewayDbContext db, Guid contactId, DateTimeOffset since, CancellationToken cancellationToken)
    {
        var conversations = await db.Conversations.AsNoTracking().Where(c => c.ContactId == contactId).Select(c => c.Id).ToListAsync(cancellationToken);
        return await db.Messages.AsNoTracking().AnyAsync(m => conversations.Contains(m.ConversationId) && m.Direction == MessageDirection.In && m.CreatedAt >= since, cancellationToken);
    }

    private readonly record struct Target(string InstanceId, string ExternalId, ChannelIdentity? Identity);

    /// <summary>
    /// The buyer's channel for this follow-up: the first message of a kind on their chat channel (the order's buyer channel,
    /// else where they last wrote), a later one on another channel than the one before; only channels that may start a
    /// conversation, that the buyer has not stopped, and that say they can reach the buyer now.
    /// </summary>
    private async Task<(Target? Target, string Why)> ChooseChannelAsync(
        GatewayDbContext db, BatchReads reads, FollowUp f, Contact contact, Order? order, FollowUpRule rule, CancellationToken cancellationToken)
    {
        var identities = (await reads.IdentitiesAsync(contact.Id, cancellationToken)).ToList();
        var lastWrote = (await reads.LatestConversationAsync(contact.Id, cancellationToken))?.LastInstanceId;
        var candidates = new List<Target>();
        foreach (var identity in identities
            .OrderByDescending(i => order?.BuyerInstanceId == i.InstanceId && order.BuyerExternalId == i.ExternalId)
            .ThenByDescending(i => i.InstanceId == lastWrote)
            .ThenByDescending(i => i.CreatedAt))
        {
            candidates.Add(new Target(identity.InstanceId, identity.ExternalId, identity));
        }

        // A verified phone or email reaches the buyer on any channel that carries one, without having written there.
        foreach (var channel in channels.Channels.Where(c => c.State == "running" && c.Plugin is not null))
        {
            var caps = channel.Plugin!.Capabilities;
            var key = caps.HasFlag(ChannelCapabilities.PhoneIdentity) ? contact.Phone : caps.HasFlag(ChannelCapabilities.EmailIdentity) ? contact.Email : null;
            if (key is not null && !candidates.Any(t => t.InstanceId == channel.Entry.Id && t.ExternalId == key))
            {
                candidates.Add(new Target(channel.Entry.Id, key, null));
            }
        }

        if (f.Step > 1)
        {
            // "Once more on another of the buyer's channels": the channel the step before went out on goes last.
            var before = await db.FollowUps.AsNoTracking()
                .Where(x => x.OrderId == f.OrderId && x.Kind == f.Kind && x.Step < f.Step && x.Status == FollowUpStatus.Sent)
                .OrderByDescending(x => x.Step).Select(x => x.Channel).FirstOrDefaultAsync(cancellationToken);
            if (before is not null)
            {
                candidates = [.. candidates.Where(t => t.InstanceId != before), .. candidates.Where(t => t.InstanceId == before)];
            }
        }

        Dictionary<string, DateTimeOffset>? lastInbound = null;
        var reasons = new List<string>();
        foreach (var target in candidates)
        {
            if (!channels.TryGetRunning(target.InstanceId, out var channel))
            {
                reasons.Add($"{target.InstanceId} not running");
                continue;
            }

            var caps = channel.Plugin!.Capabilities;
            if (!caps.HasFlag(ChannelCapabilities.SendText) || !caps.HasFlag(ChannelCapabilities.StartConversation))
            {
                reasons.Add($"{target.InstanceId} cannot start a conversation");
                continue;
            }

            if (target.Identity?.OptedOutAt is not null || identities.Any(i => i.InstanceId == target.InstanceId && i.OptedOutAt is not null))
            {
                reasons.Add($"{target.InstanceId} opted out");
                continue;
            }

            if (channel.Services!.GetService<IChannelOutreach>() is { } outreach)
            {
                lastInbound ??= await LastInboundByInstanceAsync(db, contact.Id, cancellationToken);
                var request = new OutreachRequest(
                    new ChannelRecipient { ExternalId = target.ExternalId }, lastInbound.GetValueOrDefault(target.InstanceId), Transactional: !rule.Marketing)
                {
                    FollowUpKind = f.Kind,
                };
                if (await outreach.CannotReachAsync(request, cancellationToken) is { } cannot)
                {
                    reasons.Add($"{target.InstanceId} {cannot}");
                    continue;
                }
            }

            return (target, "");
        }

        return (null, reasons.Count == 0 ? "the buyer has no channel" : string.Join("; ", reasons));
    }

    private static async Task<Dictionary<string, DateTimeOffset>> LastInboundByInstanceAsync(GatewayDbContext db, Guid contactId, CancellationToken cancellationToken)
    {
        var conversations = await db.Conversations.AsNoTracking().Where(c => c.ContactId == contactId)
            .OrderByDescending(c => c.CreatedAt).Select(c => c.Id).Take(20).ToListAsync(cancellationToken);
        var rows = await db.Messages.AsNoTracking()
            .Where(m => conversations.Contains(m.ConversationId) && m.Direction == MessageDirection.In)
            // A machine's answer (an out-of-office) is not the customer writing: it opens no window of a channel's.
            .Where(m => !db.MessageContents.Any(c => c.MessageId == m.Id && c.AutoSubmitted))
            .Select(m => new { m.InstanceId, m.CreatedAt }).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.InstanceId).ToDictionary(g => g.Key, g => g.Max(r => r.CreatedAt));
    }

    /// <summary>
    /// The conversation the message goes into: the survey's own (closed; pending again so the rating lands there), else the
    /// buyer's open one, else a new one the gateway starts, pending until the buyer answers (then routed like a new one).
    /// </summary>
    private async Task<Conversation> ConversationForAsync(
        GatewayDbContext db, TransactionReads reads, FollowUp f, Contact contact, Target target, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (reads.Open.TryGetValue(contact.Id, out var open))
        {
            return open;
        }

        if (f.Kind == FollowUpKinds.Survey && f.ConversationId is { } surveyed
            && await db.Conversations.FirstOrDefaultAsync(c => c.Id == surveyed && c.Status == ConversationStatus.Closed, cancellationToken) is { } closed)
        {
            closed.Status = ConversationStatus.Pending;
            closed.LastInstanceId = target.InstanceId;
            closed.LastExternalId = target.ExternalId;
            reads.Open[contact.Id] = closed;
            return closed;
        }

        var conversation = new Conversation
        {
            Id = Ids.NewVersion7(now),
            ContactId = contact.Id,
            Status = ConversationStatus.Pending,
            Skill = routing.CurrentValue.DefaultSkill.ToLowerInvariant(),
            RoutingReason = $"started by the shop ({f.Kind})",
            LastInstanceId = target.InstanceId,
            LastExternalId = target.ExternalId,
            CreatedAt = now,
            LastMessageAt = now,
        };
        db.Conversations.Add(conversation);
        reads.Open[contact.Id] = conversation;
        return conversation;
    }

    private Dictionary<string, string?> Variables(FollowUpOptions o, Contact contact, Order? order, string? agent, DateTimeOffset now, string language)
    {
        var items = order is null ? [] : System.Text.Json.JsonSerializer.Deserialize<List<ItemRow>>(order.Items) ?? [];
        var product = items.Count switch
        {
            0 => "",
            1 => items[0].title,
            _ => $"{items[0].title} +{items.Count - 1}",
        };
        return new Dictionary<string, string?>
        {
            ["name"] = contact.DisplayName ?? order?.BuyerName ?? "",
            ["shop"] = o.ShopNameIn(language),
            ["product"] = product,
            ["amount"] = order?.Amount?.ToString("0.00", CultureInfo.InvariantCulture),
            ["currency"] = order?.Currency,
            ["order"] = order?.ExternalOrderId,
            ["carrier"] = order?.Carrier,
            ["tracking"] = order?.TrackingNumber,
            ["agent"] = agent,
            ["cutoff"] = o.DispatchCutoff,
            ["date"] = shop.ToShop(now).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["time"] = shop.ToShop(now).ToString("HH:mm", CultureInfo.InvariantCulture),
        };
    }

    private sealed record ItemRow(string title, int quantity, decimal price);

    private static async Task<bool> ClaimAsync(GatewayDbContext db, FollowUp f, CancellationToken cancellationToken)
    {
        // Whoever changes the row from planned first fires it; a second firing finds nothing to claim.
        var claimed = await db.FollowUps.Where(x => x.Id == f.Id && x.Status == FollowUpStatus.Planned)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Status, FollowUpStatus.Sent), cancellationToken);
        return claimed == 1;
    }

    private static void Record(FollowUp f, FollowUpOutcome outcome, DateTimeOffset now)
    {
        f.Status = outcome.Status;
        f.Reason = outcome.Reason;
        f.Channel = outcome.Channel ?? f.Channel;
        f.DoneAt = now;
        f.UpdatedAt = now;
    }

    private static string Hours(TimeSpan span) =>
        span.TotalHours >= 1 ? $"{span.TotalHours:0.#} h" : $"{Math.Max(1, span.TotalMinutes):0} min";

    [LoggerMessage(EventId = 7110, Level = LogLevel.Information, Message = "Follow-up {FollowUpId} ({Kind}): {Status} {Detail}")]
    private static partial void LogFired(ILogger logger, Guid followUpId, string kind, FollowUpStatus status, string detail);

    [LoggerMessage(EventId = 7115, Level = LogLevel.Warning, Message = "Follow-up {FollowUpId} is done, but its {EventType} event could not be published")]
    private static partial void LogPublishFailed(ILogger logger, Exception exception, Guid followUpId, string eventType);

    [LoggerMessage(EventId = 7111, Level = LogLevel.Information, Message = "Follow-up {FollowUpId} ({Kind}) fell in quiet hours: moved to their end")]
    private static partial void LogMoved(ILogger logger, Guid followUpId, string kind);
}

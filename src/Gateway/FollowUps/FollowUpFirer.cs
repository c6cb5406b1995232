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
    ChannelHost channels,
    DeliveryService delivery,
    GatewayEventBus events,
    IFollowUpScheduler scheduler,
    IEnumerable<IFollowUpKindHandler> handlers,
    RoutingRules rules,
    StoreDialect dialect,
    TimeProvider time,
    ILogger<FollowUpFirer> logger) : IFollowUpFirer
{
    public async Task<FollowUpOutcome?> FireAsync(Guid followUpId, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await FireOnceAsync(followUpId, cancellationToken);
            }
            catch (DbUpdateException ex) when (attempt < 3 && dialect.IsRace(ex.InnerException ?? ex))
            {
                // Another instance created the buyer's identity or conversation at the same moment: look again.
            }
        }
    }

    private async Task<FollowUpOutcome?> FireOnceAsync(Guid followUpId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var o = options.Current;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var followUp = await db.FollowUps.FirstOrDefaultAsync(f => f.Id == followUpId, cancellationToken);
        if (followUp is null || followUp.Status != FollowUpStatus.Planned)
        {
            return null;
        }

        if (followUp.DueAt > now + TimeSpan.FromSeconds(1))
        {
            // Fired early (a trigger left from before the follow-up was moved): the scheduler fires it again at its time.
            await scheduler.SyncAsync([followUp.Id], cancellationToken);
            return null;
        }

        if (handlers.FirstOrDefault(h => h.Kind == followUp.Kind) is { } handler)
        {
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

        var rule = followUp.Kind == FollowUpKinds.Greeting ? o.Rule(FollowUpKinds.Greeting) : o.Rule(followUp.Rule ?? followUp.Kind);
        var stale = rule == FollowUpRule.Disabled ? TimeSpan.FromHours(6) : rule.StaleAfter;
        if (now - followUp.DueAt > stale)
        {
            return await SkipAsync(db, followUp, $"stale: due {shop.Describe(followUp.DueAt)} shop time, the gateway got to it {Hours(now - followUp.DueAt)} late", now, cancellationToken);
        }

        if (shop.IsQuiet(now))
        {
            // Quiet hours (after downtime, or a follow-up moved into them): at their end, if still right then.
            followUp.DueAt = shop.OutOfQuietHours(now).ToUniversalTime();
            followUp.UpdatedAt = now;
            followUp.Reason = "moved out of quiet hours";
            await db.SaveChangesAsync(cancellationToken);
            await scheduler.SyncAsync([followUp.Id], cancellationToken);
            LogMoved(logger, followUp.Id, followUp.Kind);
            return null;
        }

        var contact = await FollowMergesAsync(db, followUp.ContactId, cancellationToken);
        var order = followUp.OrderId is { } orderId ? await db.Orders.AsNoTracking().FirstOrDefaultAsync(x => x.Id == orderId, cancellationToken) : null;
        if (await WhyNotNowAsync(db, followUp, contact, order, rule, o, now, cancellationToken) is { } reason)
        {
            return await SkipAsync(db, followUp, reason, now, cancellationToken);
        }

        var (target, why) = await ChooseChannelAsync(db, followUp, contact, order, rule, cancellationToken);
        if (target is null)
        {
            return await SkipAsync(db, followUp, $"no channel can reach the buyer now: {why}", now, cancellationToken);
        }

        var latest = await db.Conversations.AsNoTracking().Where(c => c.ContactId == contact.Id)
            .OrderByDescending(c => c.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        var language = latest?.Language is "zh" or "en" ? latest.Language : o.DefaultLanguage;
        var templates = followUp.Kind == FollowUpKinds.Greeting
            ? o.Greetings.FirstOrDefault(g => g.Name == followUp.Rule)?.Templates ?? []
            : followUp.Kind == FollowUpKinds.OrderConfirmation && followUp.Step > 1 ? rule.SecondTemplates : rule.Templates;
        var template = templates.GetValueOrDefault(language) ?? templates.GetValueOrDefault(o.DefaultLanguage) ?? templates.Values.FirstOrDefault();
        if (template is null)
        {
            return await SkipAsync(db, followUp, "no text configured for it", now, cancellationToken);
        }

        var agentName = followUp.AgentId is { } agentId
            ? await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => a.DisplayName).FirstOrDefaultAsync(cancellationToken)
            : null;
        var text = Templates.Render(template, Variables(o, contact, order, agentName, now));

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // One buyer's follow-ups are sent one at a time (a no-op write locks their row on PostgreSQL and takes SQLite's
        // write lock), so the caps checked again below see whatever another instance or thread just sent them.
        await db.Contacts.Where(c => c.Id == contact.Id).ExecuteUpdateAsync(s => s.SetProperty(c => c.OrderStage, c => c.OrderStage), cancellationToken);
        if (!await ClaimAsync(db, followUp, cancellationToken))
        {
            return null;
        }

        if (await CapReasonAsync(db, followUp, contact.Id, o, now, cancellationToken) is { } capped)
        {
            var skipped = FollowUpOutcome.Skipped(capped);
            Record(followUp, skipped, now);
            await db.SaveChangesAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            LogFired(logger, followUp.Id, followUp.Kind, FollowUpStatus.Skipped, capped);
            return skipped;
        }

        if (target.Value.Identity is null)
        {
            db.ChannelIdentities.Add(new ChannelIdentity
            {
                Id = Ids.NewVersion7(now), ContactId = contact.Id, InstanceId = target.Value.InstanceId, ExternalId = target.Value.ExternalId, CreatedAt = now,
            });
        }

        var conversation = await ConversationForAsync(db, followUp, contact, target.Value, now, cancellationToken);
        db.Messages.Add(new Message
        {
            Id = followUp.Id,
            ConversationId = conversation.Id,
            InstanceId = target.Value.InstanceId,
            ExternalId = target.Value.ExternalId,
            Direction = MessageDirection.Out,
            Text = text,
            Status = MessageStatus.Pending,
            AgentName = o.ShopName,
            NextAttemptAt = now,
            CreatedAt = now,
        });
        followUp.ConversationId = conversation.Id;
        var sent = FollowUpOutcome.Sent(target.Value.InstanceId);
        Record(followUp, sent, now);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);

        delivery.Signal();
        if (conversation.Status == ConversationStatus.Assigned && conversation.AssignedAgentId is { } assigned)
        {
            var message = await db.Messages.AsNoTracking().FirstAsync(m => m.Id == followUp.Id, CancellationToken.None);
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, assigned, message.Id, message.ToDto(channels.ChannelTypeOf)));
        }

        LogFired(logger, followUp.Id, followUp.Kind, FollowUpStatus.Sent, target.Value.InstanceId);
        return sent;
    }

    /// <summary>Why the follow-up is no longer right, in words a shop reads; null when it is.</summary>
    private async Task<string?> WhyNotNowAsync(
        GatewayDbContext db, FollowUp f, Contact contact, Order? order, FollowUpRule rule, FollowUpOptions o, DateTimeOffset now, CancellationToken cancellationToken)
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

        return await CapReasonAsync(db, f, contact.Id, o, now, cancellationToken);
    }

    /// <summary>
    /// The frequency caps: at most one payment reminder per buyer per <see cref="FollowUpOptions.PaymentReminderGap"/> across
    /// their orders, and at most <see cref="FollowUpOptions.MaxPerContactPerDay"/> follow-ups a day. Checked again inside the
    /// sending transaction, after the buyer's row is locked, so two due at once for one buyer cannot both pass.
    /// </summary>
    private static async Task<string?> CapReasonAsync(GatewayDbContext db, FollowUp f, Guid contactId, FollowUpOptions o, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (f.Kind is FollowUpKinds.Callback)
        {
            return null;
        }

        var dayAgo = now - TimeSpan.FromHours(24);
        var since = now - o.PaymentReminderGap;
        var earliest = since < dayAgo ? since : dayAgo;
        var sent = await db.FollowUps.AsNoTracking()
            .Where(x => x.ContactId == contactId && x.Status == FollowUpStatus.Sent && x.Id != f.Id && x.Kind != FollowUpKinds.Callback)
            .Select(x => new { x.Kind, x.DoneAt, x.OrderId })
            .ToListAsync(cancellationToken);
        // An order's own reminders are a shop day apart by design (23 hours on the day clocks go forward): only other
        // orders' reminders count against the gap.
        if (f.Kind == FollowUpKinds.PaymentReminder
            && sent.Where(x => x.Kind == FollowUpKinds.PaymentReminder && x.OrderId != f.OrderId && x.DoneAt >= since).Max(x => x.DoneAt) is { } last)
        {
            return $"cap: a payment reminder went to this buyer {Hours(now - last)} ago (at most one per {Hours(o.PaymentReminderGap)})";
        }

        var today = sent.Count(x => x.DoneAt >= dayAgo && x.DoneAt >= earliest);
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
        GatewayDbContext db, FollowUp f, Contact contact, Order? order, FollowUpRule rule, CancellationToken cancellationToken)
    {
        var identities = await db.ChannelIdentities.AsNoTracking().Where(i => i.ContactId == contact.Id).ToListAsync(cancellationToken);
        var lastWrote = await db.Conversations.AsNoTracking().Where(c => c.ContactId == contact.Id)
            .OrderByDescending(c => c.CreatedAt).Select(c => c.LastInstanceId).FirstOrDefaultAsync(cancellationToken);
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

        var lastInbound = await LastInboundByInstanceAsync(db, contact.Id, cancellationToken);
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
                var request = new OutreachRequest(
                    new ChannelRecipient { ExternalId = target.ExternalId }, lastInbound.GetValueOrDefault(target.InstanceId), Transactional: !rule.Marketing);
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
            .Select(m => new { m.InstanceId, m.CreatedAt }).ToListAsync(cancellationToken);
        return rows.GroupBy(r => r.InstanceId).ToDictionary(g => g.Key, g => g.Max(r => r.CreatedAt));
    }

    /// <summary>
    /// The conversation the message goes into: the survey's own (closed; pending again so the rating lands there), else the
    /// buyer's open one, else a new one the gateway starts, pending until the buyer answers (then routed like a new one).
    /// </summary>
    private async Task<Conversation> ConversationForAsync(GatewayDbContext db, FollowUp f, Contact contact, Target target, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (f.Kind == FollowUpKinds.Survey && f.ConversationId is { } surveyed
            && await db.Conversations.FirstOrDefaultAsync(c => c.Id == surveyed && c.Status == ConversationStatus.Closed, cancellationToken) is { } closed
            && !await db.Conversations.AnyAsync(c => c.ContactId == contact.Id && c.Status != ConversationStatus.Closed, cancellationToken))
        {
            closed.Status = ConversationStatus.Pending;
            closed.LastInstanceId = target.InstanceId;
            closed.LastExternalId = target.ExternalId;
            return closed;
        }

        var open = await db.Conversations
            .Where(c => c.ContactId == contact.Id && c.Status != ConversationStatus.Closed)
            .OrderByDescending(c => c.CreatedAt).FirstOrDefaultAsync(cancellationToken);
        if (open is not null)
        {
            return open;
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
        return conversation;
    }

    private Dictionary<string, string?> Variables(FollowUpOptions o, Contact contact, Order? order, string? agent, DateTimeOffset now)
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
            ["shop"] = o.ShopName,
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

    private async Task<FollowUpOutcome> SkipAsync(GatewayDbContext db, FollowUp f, string reason, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var skipped = await db.FollowUps.Where(x => x.Id == f.Id && x.Status == FollowUpStatus.Planned)
            .ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, FollowUpStatus.Skipped)
                .SetProperty(x => x.Reason, reason)
                .SetProperty(x => x.DoneAt, now)
                .SetProperty(x => x.UpdatedAt, now), cancellationToken);
        if (skipped == 1)
        {
            LogFired(logger, f.Id, f.Kind, FollowUpStatus.Skipped, reason);
        }

        return FollowUpOutcome.Skipped(reason);
    }

    private static async Task<Contact> FollowMergesAsync(GatewayDbContext db, Guid contactId, CancellationToken cancellationToken)
    {
        var contact = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == contactId, cancellationToken);
        for (var hops = 0; contact.MergedIntoId is { } into && hops < 16; hops++)
        {
            contact = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == into, cancellationToken);
        }

        return contact;
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

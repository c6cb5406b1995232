using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.FollowUps;

/// <summary>
/// Plans follow-ups by the configured rules when their cause happens (an order event, a conversation's close, a greeting
/// day), and cancels the ones the cause makes wrong. Plans once: a redelivered cause or a second call finds the rows
/// planned before. Every time is worked out in shop time.
/// </summary>
internal sealed partial class FollowUpPlanner(
    IDbContextFactory<GatewayDbContext> dbFactory,
    FollowUpSettings options,
    ShopTime shop,
    IFollowUpScheduler scheduler,
    TimeProvider time,
    ILogger<FollowUpPlanner> logger,
    Telemetry.GatewayMetrics metrics) : IFollowUpPlanner
{
    public async Task<IReadOnlyList<Guid>> OrderChangedAsync(GatewayDbContext db, Order order, OrderEventType happened, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var o = options.Current;
        var existing = db.Entry(order).State == EntityState.Added
            ? []
            : await db.FollowUps.Where(f => f.OrderId == order.Id).ToListAsync(cancellationToken);
        var changed = new List<Guid>();

        void Plan(string kind, int step, DateTimeOffset due)
        {
            if (!o.Rule(kind).Enabled || existing.Any(f => f.Kind == kind && f.Step == step))
            {
                return;
            }

            var row = new FollowUp
            {
                Id = Ids.NewVersion7(now),
                Kind = kind,
                Rule = kind,
                Step = step,
                ContactId = order.ContactId,
                OrderId = order.Id,
                DueAt = due.ToUniversalTime(),
                Status = FollowUpStatus.Planned,
                CreatedAt = now,
            };
            db.FollowUps.Add(row);
            metrics.FollowUpPlanned(row.Kind);
            existing.Add(row);
            changed.Add(row.Id);
        }

        var cancel = new List<(Guid Id, string Reason)>();
        void Cancel(Func<FollowUp, bool> which, string reason)
        {
            foreach (var f in existing.Where(f => f.Status == FollowUpStatus.Planned && which(f) && !cancel.Any(c => c.Id == f.Id)))
            {
                cancel.Add((f.Id, reason));
            }
        }

        switch (order.State)
        {
            case OrderState.Created:
                // Unpaid: confirm it today, remind in the order's slot, once a day up to the maximum; all listed at once.
                Plan(FollowUpKinds.OrderConfirmation, 1, shop.OutOfQuietHours(Max(now, order.PlacedAt ?? now)));
                var confirmation = o.Rule(FollowUpKinds.OrderConfirmation);
                if (confirmation.SecondTemplates.Count > 0)
                {
                    Plan(FollowUpKinds.OrderConfirmation, 2, shop.OutOfQuietHours((order.PlacedAt ?? now) + (confirmation.Delay > TimeSpan.Zero ? confirmation.Delay : TimeSpan.FromDays(2))));
                }

                for (var step = 1; step <= o.MaxPaymentReminders; step++)
                {
                    Plan(FollowUpKinds.PaymentReminder, step, shop.PaymentSlot(order.PlacedAt ?? now, step - 1));
                }

                break;
            case OrderState.Paid:
                Cancel(f => f.Kind == FollowUpKinds.PaymentReminder || (f.Kind == FollowUpKinds.OrderConfirmation && f.Step > 1), "paid");
                break;
            case OrderState.Shipped:
                Cancel(f => f.Kind is FollowUpKinds.PaymentReminder or FollowUpKinds.OrderConfirmation, "shipped");
                Plan(FollowUpKinds.Shipped, 1, shop.OutOfQuietHours(now));
                break;
            case OrderState.Delivered:
                Cancel(f => f.Kind is FollowUpKinds.PaymentReminder or FollowUpKinds.OrderConfirmation or FollowUpKinds.Shipped, "delivered");
                var delivered = order.DeliveredAt ?? now;
                Plan(FollowUpKinds.DeliveryCheckIn, 1, shop.OutOfQuietHours(Max(now, delivered + o.Rule(FollowUpKinds.DeliveryCheckIn).Delay)));
                Plan(FollowUpKinds.ReviewRequest, 1, shop.OutOfQuietHours(Max(now, delivered + o.Rule(FollowUpKinds.ReviewRequest).Delay)));
                Plan(FollowUpKinds.ReturnVisit, 1, shop.OutOfQuietHours(Max(now, delivered + o.Rule(FollowUpKinds.ReturnVisit).Delay)));
                break;
            case OrderState.RefundRequested:
                Cancel(f => f.Kind is FollowUpKinds.ReviewRequest or FollowUpKinds.ReturnVisit or FollowUpKinds.DeliveryCheckIn
                    or FollowUpKinds.PaymentReminder or FollowUpKinds.OrderConfirmation, "refund requested");
                break;
            case OrderState.Refunded:
                Cancel(_ => true, "refunded");
                break;
            case OrderState.Cancelled:
                Cancel(_ => true, "order cancelled");
                break;
        }

        // Cancelled only while still planned: one the scheduler is sending this very moment stays sent.
        foreach (var group in cancel.GroupBy(c => c.Reason))
        {
            var ids = group.Select(c => c.Id).ToList();
            await db.FollowUps.Where(f => ids.Contains(f.Id) && f.Status == FollowUpStatus.Planned)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(f => f.Status, FollowUpStatus.Cancelled)
                    .SetProperty(f => f.Reason, group.Key)
                    .SetProperty(f => f.DoneAt, now)
                    .SetProperty(f => f.UpdatedAt, now), cancellationToken);
            changed.AddRange(ids);
        }

        if (changed.Count > 0)
        {
            LogPlanned(logger, order.ExternalOrderId, changed.Count);
        }

        return changed;
    }

    public async Task<IReadOnlyList<Guid>> ConversationClosedAsync(GatewayDbContext db, Conversation conversation, CancellationToken cancellationToken)
    {
        var rule = options.Current.Rule(FollowUpKinds.Survey);
        if (!rule.Enabled || conversation.AssignedAgentId is null && conversation.ClosedByAgentId is null
            || await db.FollowUps.AnyAsync(f => f.ConversationId == conversation.Id && f.Kind == FollowUpKinds.Survey, cancellationToken))
        {
            return [];
        }

        var now = time.GetUtcNow();
        var row = new FollowUp
        {
            Id = Ids.NewVersion7(now),
            Kind = FollowUpKinds.Survey,
            Rule = FollowUpKinds.Survey,
            ContactId = conversation.ContactId,
            ConversationId = conversation.Id,
            AgentId = conversation.ClosedByAgentId ?? conversation.AssignedAgentId,
            DueAt = shop.OutOfQuietHours(now + rule.Delay).ToUniversalTime(),
            Status = FollowUpStatus.Planned,
            CreatedAt = now,
        };
        db.FollowUps.Add(row);
        metrics.FollowUpPlanned(row.Kind);
        return [row.Id];
    }

    public async Task<IReadOnlyList<Guid>> PlanGreetingsAsync(DateOnly shopDay, CancellationToken cancellationToken)
    {
        var o = options.Current;
        if (!o.Rule(FollowUpKinds.Greeting).Enabled && o.Rules.ContainsKey(FollowUpKinds.Greeting))
        {
            return [];
        }

        var planned = new List<Guid>();
        foreach (var greeting in o.Greetings.Where(g => g.FallsOn(shopDay)))
        {
            _ = ShopTime.TryParseTime(greeting.Time, out var at);
            var due = shop.OutOfQuietHours(shop.At(shopDay, at)).ToUniversalTime();
            var dayStart = shop.At(shopDay, TimeOnly.MinValue).ToUniversalTime();
            var dayEnd = shop.At(shopDay.AddDays(1), TimeOnly.MinValue).ToUniversalTime();
            for (var skip = 0; ; skip += 500)
            {
                // In pages by contact id: a shop's whole list of contacts is never held at once.
                await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
                var page = await db.Contacts.AsNoTracking()
                    .Where(c => c.MergedIntoId == null && c.MarketingOptOutAt == null && c.OptOutAllAt == null)
                    .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id)
                    .Select(c => c.Id)
                    .Skip(skip)
                    .Take(500)
                    .ToListAsync(cancellationToken);
                if (page.Count == 0)
                {
                    break;
                }

                var already = await db.FollowUps.AsNoTracking()
                    .Where(f => page.Contains(f.ContactId) && f.Kind == FollowUpKinds.Greeting && f.Rule == greeting.Name && f.DueAt >= dayStart && f.DueAt < dayEnd)
                    .Select(f => f.ContactId)
                    .ToListAsync(cancellationToken);
                var now = time.GetUtcNow();
                foreach (var contactId in page.Except(already))
                {
                    var row = new FollowUp
                    {
                        Id = Ids.NewVersion7(now),
                        Kind = FollowUpKinds.Greeting,
                        Rule = greeting.Name,
                        ContactId = contactId,
                        DueAt = due,
                        Status = FollowUpStatus.Planned,
                        CreatedAt = now,
                    };
                    db.FollowUps.Add(row);
                    metrics.FollowUpPlanned(row.Kind);
                    planned.Add(row.Id);
                }

                await db.SaveChangesAsync(cancellationToken);
            }
        }

        if (planned.Count > 0)
        {
            await scheduler.SyncAsync(planned, cancellationToken);
        }

        return planned;
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Order {OrderId}: {Count} follow-ups planned or cancelled")]
    private static partial void LogPlanned(ILogger logger, string orderId, int count);
}

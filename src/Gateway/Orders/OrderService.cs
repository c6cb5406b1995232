using System.Text.Json;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Ingest;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Orders;

/// <summary>
/// Applies shop order events: once per (source, event id), to the order kept per (source, shop order id), on the
/// buyer's contact, with the follow-ups the new state calls for, all in one transaction. Two instances taking the same
/// event or the first events of one new buyer at once meet at the store's unique constraints; the loser applies again
/// and finds what the winner stored.
/// </summary>
internal sealed partial class OrderService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    StoreDialect dialect,
    Plugins.ChannelRegistry channels,
    IFollowUpPlanner planner,
    IFollowUpScheduler scheduler,
    StoreWriteGate writeGate,
    TimeProvider time,
    ILogger<OrderService> logger)
{
    private const int MaxAttempts = 3;

    public async Task<OrderEventResult> ApplyAsync(string sourceInstanceId, OrderEvent orderEvent, CancellationToken cancellationToken)
    {
        OrderEventValidation.Check(orderEvent);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var (result, planned) = await ApplyOnceAsync(sourceInstanceId, orderEvent, cancellationToken);
                if (planned.Count > 0)
                {
                    await scheduler.SyncAsync(planned, cancellationToken);
                }

                return result;
            }
            catch (DbUpdateException ex) when (attempt < MaxAttempts && dialect.IsRace(ex.InnerException ?? ex))
            {
                // Another instance stored the event, the order, the contact or the identity first: apply again, finding it.
                LogRace(logger, sourceInstanceId, orderEvent.OrderId, attempt);
            }
        }
    }

    /// <summary>The order by the gateway's id or, for anything else, by the shop's order id (newest first when two sources share one).</summary>
    public async Task<Order?> FindAsync(GatewayDbContext db, string orderId, CancellationToken cancellationToken)
    {
        if (Guid.TryParse(orderId, out var id))
        {
            return await db.Orders.AsNoTracking().FirstOrDefaultAsync(o => o.Id == id, cancellationToken);
        }

        // The shown id (Shopify's #1001) or the source's key (its numeric id).
        var matches = await db.Orders.AsNoTracking().Where(o => o.ExternalOrderId == orderId || o.SourceOrderId == orderId).ToListAsync(cancellationToken);
        return matches.OrderByDescending(o => o.CreatedAt).FirstOrDefault();
    }

    private async Task<(OrderEventResult Result, IReadOnlyList<Guid> Planned)> ApplyOnceAsync(
        string source, OrderEvent e, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        using var turn = await writeGate.EnterAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);

        var seen = await db.OrderEvents.AsNoTracking()
            .FirstOrDefaultAsync(x => x.SourceInstanceId == source && x.EventId == e.EventId, cancellationToken);
        if (seen is not null)
        {
            var current = await db.Orders.AsNoTracking().FirstAsync(o => o.Id == seen.OrderId, cancellationToken);
            LogDuplicate(logger, source, e.OrderId, Wire.EventName(e.Type));
            return (new OrderEventResult(current.Id, Wire.StateName(current.State), Duplicate: true), []);
        }

        var order = await db.Orders.FirstOrDefaultAsync(o => o.SourceInstanceId == source && o.SourceOrderId == e.OrderId, cancellationToken);
        if (order is null)
        {
            if (e.RefundAmount is not null)
            {
                // Part of an order cannot be refunded before the gateway knows the order and its total: refused, the shop
                // delivers it again (Shopify retries for two days) once the order's own events are in.
                throw new OrderEventRejectedException(
                    "data.orderId", $"order.refunded: order {e.OrderId} is new to the gateway; a refund of part of it needs the order's events first");
            }

            var contact = await ResolveBuyerAsync(db, e.Buyer, now, cancellationToken)
                ?? throw new OrderEventRejectedException(
                    "data.buyer", $"order {e.OrderId} is new to the gateway: the buyer's phone, email or channel and id are required");
            order = new Order
            {
                Id = Ids.NewVersion7(now),
                SourceInstanceId = source,
                ExternalOrderId = e.OrderName ?? e.OrderId,
                SourceOrderId = e.OrderId,
                ContactId = contact.Id,
                CreatedAt = now,
                UpdatedAt = now,
            };
            db.Orders.Add(order);
        }
        else
        {
            OrderStates.CheckTransition(order, e, now);
            OrderStates.CheckRefund(order, e);
            // The buyer's contact may have been merged into another since: the order follows.
            order.ContactId = (await MergedContacts.FollowAsync(db, order.ContactId, cancellationToken)).Id;
        }

        Apply(order, e, now);
        var stage = await UpdateStageAsync(db, order, cancellationToken);
        // A refund of part of the order plans and cancels nothing: the order keeps its follow-ups (a refund request it
        // settles had cancelled the review request and return visit already).
        var partialRefund = e.Type == OrderEventType.Refunded && e.RefundAmount is not null && order.RefundedAt is null;
        var planned = partialRefund ? [] : await planner.OrderChangedAsync(db, order, e.Type, cancellationToken);
        db.OrderEvents.Add(new OrderEventRecord
        {
            Id = Ids.NewVersion7(now),
            SourceInstanceId = source,
            EventId = e.EventId,
            OrderId = order.Id,
            Type = Wire.EventName(e.Type),
            OccurredAt = e.OccurredAt,
            ReceivedAt = now,
        });
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (partialRefund)
        {
            LogPartialRefund(logger, source, e.OrderId, e.RefundAmount!.Value, order.RefundedAmount ?? 0m, order.Amount, Wire.StateName(order.State));
        }

        LogApplied(logger, source, e.OrderId, Wire.EventName(e.Type), Wire.StateName(order.State), stage);
        return (new OrderEventResult(order.Id, Wire.StateName(order.State), Duplicate: false), planned);
    }

    /// <summary>Sets what the event says happened, never blanking what an earlier event set, and the state that follows from all of it.</summary>
    private static void Apply(Order order, OrderEvent e, DateTimeOffset now)
    {
        var at = e.OccurredAt ?? now;
        switch (e.Type)
        {
            case OrderEventType.Created:
                order.PlacedAt ??= at;
                break;
            case OrderEventType.Paid:
                order.PaidAt ??= at;
                break;
            case OrderEventType.Shipped:
                order.ShippedAt ??= at;
                break;
            case OrderEventType.Delivered:
                order.DeliveredAt ??= at;
                break;
            case OrderEventType.RefundRequested:
                // The latest request: a request after a refund of part of the order is a new one.
                order.RefundRequestedAt = Latest(order.RefundRequestedAt, at);
                break;
            case OrderEventType.Refunded when e.RefundAmount is { } part:
                order.RefundedAmount = (order.RefundedAmount ?? 0m) + part;
                order.PartiallyRefundedAt = Latest(order.PartiallyRefundedAt, at);
                break;
            case OrderEventType.Refunded:
                order.RefundedAt ??= at;
                break;
            case OrderEventType.Cancelled:
                order.CancelledAt ??= at;
                break;
        }

        if (e.Items is { Count: > 0 } items)
        {
            order.Items = JsonSerializer.Serialize(items.Select(i => new { title = i.Title, quantity = i.Quantity, price = i.Price }));
        }

        order.ExternalOrderId = e.OrderName ?? order.ExternalOrderId;
        order.Amount = e.Amount ?? order.Amount;
        if (order.RefundedAt is null && order.RefundedAmount is { } refunded && order.Amount is { } total && refunded >= total)
        {
            // The refunds add up to the order's total: all of it went back.
            order.RefundedAt = e.Type == OrderEventType.Refunded ? at : now;
        }

        order.Currency = e.Currency?.ToUpperInvariant() ?? order.Currency;
        order.Carrier = e.Carrier ?? order.Carrier;
        order.TrackingNumber = e.TrackingNumber ?? order.TrackingNumber;
        order.Reason = e.Reason ?? order.Reason;
        if (e.Buyer is { } buyer)
        {
            order.BuyerName = buyer.Name ?? order.BuyerName;
            order.BuyerPhone = ContactKeys.NormalizePhone(buyer.Phone) ?? order.BuyerPhone;
            order.BuyerEmail = ContactKeys.NormalizeEmail(buyer.Email) ?? order.BuyerEmail;
            if (buyer.ChannelInstanceId is { } channel && buyer.ExternalId is { } external)
            {
                order.BuyerInstanceId = channel;
                order.BuyerExternalId = external;
            }
        }

        order.State = OrderStates.From(order);
        order.UpdatedAt = now;
    }

    private static DateTimeOffset Latest(DateTimeOffset? known, DateTimeOffset at) => known is { } k && k > at ? k : at;

    /// <summary>
    /// The buyer's contact: by their identity on the channel they use, their verified phone or their email (the shop signs
    /// its events, so these are proven), else a new contact with them. Fills in what the contact lacks.
    /// </summary>
    private async Task<Contact?> ResolveBuyerAsync(GatewayDbContext db, OrderBuyer? buyer, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (buyer is null)
        {
            return null;
        }

        var phone = ContactKeys.NormalizePhone(buyer.Phone);
        var email = ContactKeys.NormalizeEmail(buyer.Email);
        var channel = buyer.ChannelInstanceId;
        var external = buyer.ExternalId;
        if (channel is not null && channels.ChannelTypeOf(channel) is null)
        {
            throw new OrderEventRejectedException("data.buyer.channel", $"'{channel}' is not a channel instance of this gateway");
        }

        Contact? contact = null;
        ChannelIdentity? identity = null;
        if (channel is not null && external is not null)
        {
            identity = await db.ChannelIdentities.FirstOrDefaultAsync(i => i.InstanceId == channel && i.ExternalId == external, cancellationToken);
            if (identity is not null)
            {
                // Tracked: the buyer's name, phone or email may be filled in below.
                var kept = (await MergedContacts.FollowAsync(db, identity.ContactId, cancellationToken)).Id;
                contact = await db.Contacts.FirstAsync(c => c.Id == kept, cancellationToken);
            }
        }

        contact ??= phone is null ? null : await db.Contacts.FirstOrDefaultAsync(c => c.Phone == phone && c.MergedIntoId == null, cancellationToken);
        contact ??= email is null ? null : await db.Contacts.FirstOrDefaultAsync(c => c.Email == email && c.MergedIntoId == null, cancellationToken);
        if (contact is null)
        {
            if (phone is null && email is null && (channel is null || external is null))
            {
                return null;
            }

            contact = new Contact { Id = Ids.NewVersion7(now), DisplayName = buyer.Name, Phone = phone, Email = email, CreatedAt = now };
            db.Contacts.Add(contact);
        }
        else
        {
            contact.DisplayName ??= buyer.Name;
            if (contact.Phone is null && phone is not null
                && !await db.Contacts.AnyAsync(c => c.Phone == phone && c.MergedIntoId == null, cancellationToken))
            {
                contact.Phone = phone;
            }

            if (contact.Email is null && email is not null
                && !await db.Contacts.AnyAsync(c => c.Email == email && c.MergedIntoId == null, cancellationToken))
            {
                contact.Email = email;
            }
        }

        if (identity is null && channel is not null && external is not null)
        {
            db.ChannelIdentities.Add(new ChannelIdentity
            {
                Id = Ids.NewVersion7(now), ContactId = contact.Id, InstanceId = channel, ExternalId = external, CreatedAt = now,
            });
        }

        return contact;
    }

    /// <summary>
    /// The contact's order stage, from their newest order that is still going (refunded and cancelled ones do not count),
    /// orders of contacts merged into theirs included.
    /// </summary>
    private static async Task<OrderStage> UpdateStageAsync(GatewayDbContext db, Order order, CancellationToken cancellationToken)
    {
        var contacts = await MergedContacts.WithMergedAsync(db, order.ContactId, cancellationToken);
        var others = await db.Orders.Where(o => contacts.Contains(o.ContactId) && o.Id != order.Id).ToListAsync(cancellationToken);
        others.Add(order);
        var stage = OrderStates.StageOf(others);
        var contact = await db.Contacts.FindAsync([order.ContactId], cancellationToken);
        if (contact is not null && contact.OrderStage != stage)
        {
            contact.OrderStage = stage;
        }

        return stage;
    }

    [LoggerMessage(EventId = 7000, Level = LogLevel.Information, Message = "Order {OrderId} from {Source}: {EventType} applied, now {State} (buyer's stage {Stage})")]
    private static partial void LogApplied(ILogger logger, string source, string orderId, string eventType, string state, OrderStage stage);

    [LoggerMessage(EventId = 7003, Level = LogLevel.Information, Message = "Order {OrderId} from {Source}: {Refund} refunded, {Refunded} of {Total} so far; the order stays {State}")]
    private static partial void LogPartialRefund(ILogger logger, string source, string orderId, decimal refund, decimal refunded, decimal? total, string state);

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Order {OrderId} from {Source}: {EventType} delivered again; nothing changed")]
    private static partial void LogDuplicate(ILogger logger, string source, string orderId, string eventType);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Order {OrderId} from {Source}: another instance stored a row first (attempt {Attempt}); applying again")]
    private static partial void LogRace(ILogger logger, string source, string orderId, int attempt);
}

/// <summary>The order event sink of one order integration instance.</summary>
internal sealed class InstanceOrderEventSink(OrderService orders, string instanceId) : IOrderEventSink
{
    public Task<OrderEventResult> AcceptAsync(OrderEvent orderEvent, CancellationToken cancellationToken) =>
        orders.ApplyAsync(instanceId, orderEvent, cancellationToken);
}

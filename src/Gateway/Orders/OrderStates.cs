using System.Globalization;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Orders;

/// <summary>
/// An order's state follows from the facts its events set, so events that arrive out of order (paid before
/// created, delivered before shipped) end in the same state as in order. A fact that cannot have happened is refused:
/// <list type="table">
/// <item><term>shipped, delivered</term><description>refused once the order is cancelled (nothing ships after a cancellation; a late
/// fact of an order cancelled after it shipped is a refund, not a cancellation); refused once the order is refunded when
/// it happened after the refund (the event's time, or now when it carries none): a parcel shipped or delivered before
/// the refund (a return) is a late fact and accepted.</description></item>
/// <item><term>cancelled</term><description>refused once the order shipped or was delivered (use a refund).</description></item>
/// <item><term>refund requested, refunded</term><description>refused for an order never paid, shipped or delivered (nothing to refund).</description></item>
/// <item><term>created, paid</term><description>always accepted: details and payment may arrive late.</description></item>
/// <item><term>refunded with an amount</term><description>refused beyond what is left of the total (<see cref="CheckRefund"/>);
/// it leaves the state as it was, but settles a refund request made before it; the refunds reaching the total refund the
/// order.</description></item>
/// </list>
/// Shipping without a payment is accepted (cash on delivery).
/// </summary>
internal static class OrderStates
{
    public static OrderState From(Order o) =>
        o.RefundedAt is not null ? OrderState.Refunded
        // A refund of part of the order after the request settled it: the order goes on as it was.
        : o.RefundRequestedAt is { } asked && !(o.PartiallyRefundedAt >= asked) ? OrderState.RefundRequested
        : o.CancelledAt is not null ? OrderState.Cancelled
        : o.DeliveredAt is not null ? OrderState.Delivered
        : o.ShippedAt is not null ? OrderState.Shipped
        : o.PaidAt is not null ? OrderState.Paid
        : OrderState.Created;

    /// <summary>
    /// A buyer's order stage: their newest order still going decides (created: unpaid; paid, shipped, delivered: bought;
    /// refund requested: refund); refunded and cancelled orders do not count; none left: none.
    /// </summary>
    public static OrderStage StageOf(IEnumerable<Order> orders) =>
        orders
            .Where(o => o.State is not (OrderState.Refunded or OrderState.Cancelled))
            .OrderByDescending(o => o.PlacedAt ?? o.CreatedAt)
            .FirstOrDefault()?.State switch
        {
            null => OrderStage.None,
            OrderState.Created => OrderStage.Unpaid,
            OrderState.RefundRequested => OrderStage.Refund,
            _ => OrderStage.Bought,
        };

    /// <summary>Throws <see cref="OrderEventRejectedException"/> (field <c>type</c>) for a fact the order's facts rule out.</summary>
    public static void CheckTransition(Order order, OrderEvent e, DateTimeOffset now)
    {
        var name = Wire.EventName(e.Type);
        var verb = e.Type == OrderEventType.Shipped ? "shipped" : "delivered";
        string? problem = e.Type switch
        {
            OrderEventType.Shipped or OrderEventType.Delivered when order.CancelledAt is not null =>
                $"order {order.ExternalOrderId} is cancelled; it cannot be {verb}",
            OrderEventType.Shipped or OrderEventType.Delivered when order.RefundedAt is { } refunded && (e.OccurredAt ?? now) > refunded =>
                $"order {order.ExternalOrderId} was refunded; it cannot be {verb} after that",
            OrderEventType.Cancelled when order.ShippedAt is not null || order.DeliveredAt is not null =>
                $"order {order.ExternalOrderId} was {(order.DeliveredAt is not null ? "delivered" : "shipped")}; it cannot be cancelled (send a refund)",
            OrderEventType.RefundRequested or OrderEventType.Refunded when order.PaidAt is null && order.ShippedAt is null && order.DeliveredAt is null =>
                $"order {order.ExternalOrderId} was never paid, shipped or delivered; there is nothing to refund",
            _ => null,
        };
        if (problem is not null)
        {
            throw new OrderEventRejectedException("type", $"{name}: {problem}");
        }
    }

    /// <summary>
    /// Throws <see cref="OrderEventRejectedException"/> (field <c>data.amount</c>) for a refund of part of the order that is
    /// more than what is left of its total after the refunds before it that named their amount. A refund of the whole order
    /// names none, so a partial refund arriving after it (Shopify's refund after its order update) still fits.
    /// </summary>
    public static void CheckRefund(Order order, OrderEvent e)
    {
        if (e.Type != OrderEventType.Refunded || e.RefundAmount is not { } part || order.Amount is not { } total)
        {
            return;
        }

        var left = total - (order.RefundedAmount ?? 0m);
        if (part > left)
        {
            var currency = order.Currency is null ? "" : " " + order.Currency;
            throw new OrderEventRejectedException(
                "data.amount",
                string.Create(CultureInfo.InvariantCulture, $"order.refunded: a refund of {part:0.00}{currency} is more than the {left:0.00}{currency} left to refund of order {order.ExternalOrderId} ({total:0.00}{currency}, {order.RefundedAmount ?? 0m:0.00} refunded so far)"));
        }
    }
}

/// <summary>Names of order events and states in the wire format and the API.</summary>
internal static class Wire
{
    public static string EventName(OrderEventType type) => type switch
    {
        OrderEventType.Created => "order.created",
        OrderEventType.Paid => "order.paid",
        OrderEventType.Shipped => "order.shipped",
        OrderEventType.Delivered => "order.delivered",
        OrderEventType.RefundRequested => "order.refund_requested",
        OrderEventType.Refunded => "order.refunded",
        _ => "order.cancelled",
    };

    public static string StateName(OrderState state) => state switch
    {
        OrderState.Created => "created",
        OrderState.Paid => "paid",
        OrderState.Shipped => "shipped",
        OrderState.Delivered => "delivered",
        OrderState.RefundRequested => "refund-requested",
        OrderState.Refunded => "refunded",
        _ => "cancelled",
    };

    public static string StageName(OrderStage stage) => stage switch
    {
        OrderStage.Unpaid => "unpaid",
        OrderStage.Bought => "bought",
        OrderStage.Refund => "refund",
        _ => "none",
    };
}

/// <summary>What every order event must satisfy before it touches the store, each failure naming its field.</summary>
internal static class OrderEventValidation
{
    public static void Check(OrderEvent e)
    {
        Require(!string.IsNullOrWhiteSpace(e.EventId) && e.EventId.Length <= 200, "webhook-id", "the event id is required (at most 200 characters)");
        Require(!string.IsNullOrWhiteSpace(e.OrderId) && e.OrderId.Length <= 100, "data.orderId", "the order id is required (at most 100 characters)");
        Require(e.OrderName is null || (!string.IsNullOrWhiteSpace(e.OrderName) && e.OrderName.Length <= 100), "name", "the order's name is at most 100 characters");
        Require(Enum.IsDefined(e.Type), "type", "unknown event type");
        Require(e.Amount is null or >= 0 and < 1_000_000_000_000m, "data.amount", "must be a non-negative amount");
        Require(e.RefundAmount is null or >= 0 and < 1_000_000_000_000m, "data.amount", "a refund's amount must be a non-negative amount");
        Require(e.RefundAmount is null || e.Type == OrderEventType.Refunded, "data.amount", "a refund's amount comes only with order.refunded");
        Require(e.Currency is null || (e.Currency.Length == 3 && e.Currency.All(char.IsAsciiLetter)), "data.currency", "must be a 3-letter ISO 4217 code such as CNY");
        Require(e.Carrier is null || e.Carrier.Length <= 100, "data.carrier", "at most 100 characters");
        Require(e.TrackingNumber is null || e.TrackingNumber.Length <= 100, "data.trackingNumber", "at most 100 characters");
        Require(e.Reason is null || e.Reason.Length <= 500, "data.reason", "at most 500 characters");
        if (e.Items is { } items)
        {
            Require(items.Count <= 500, "data.items", "at most 500 items");
            for (var i = 0; i < items.Count; i++)
            {
                var item = items[i];
                Require(item is not null && !string.IsNullOrWhiteSpace(item.Title) && item.Title.Length <= 300, $"data.items[{i}].title", "required (at most 300 characters)");
                Require(item!.Quantity is >= 1 and <= 1_000_000, $"data.items[{i}].quantity", "must be a whole number from 1");
                Require(item.Price is >= 0 and < 1_000_000_000_000m, $"data.items[{i}].price", "must be a non-negative amount");
            }
        }

        if (e.Buyer is { } buyer)
        {
            Require(buyer.Phone is null || Ingest.ContactKeys.NormalizePhone(buyer.Phone) is not null, "data.buyer.phone", "not a phone number (E.164, e.g. +8613800138000)");
            Require(buyer.Email is null || Ingest.ContactKeys.NormalizeEmail(buyer.Email) is not null, "data.buyer.email", "not an email address");
            Require(buyer.Name is null || buyer.Name.Length <= 200, "data.buyer.name", "at most 200 characters");
            Require((buyer.ChannelInstanceId is null) == (buyer.ExternalId is null), "data.buyer.channel", "channel and externalId come together");
            Require(buyer.ExternalId is null || buyer.ExternalId.Length <= 200, "data.buyer.externalId", "at most 200 characters");
        }

        if (e.Type == OrderEventType.Created)
        {
            Require(e.Buyer is not null, "data.buyer", "required on order.created");
        }
    }

    private static void Require(bool ok, string field, string reason)
    {
        if (!ok)
        {
            throw new OrderEventRejectedException(field, reason);
        }
    }
}

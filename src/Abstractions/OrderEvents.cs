namespace ChatGateway.Abstractions;

/// <summary>What happened to a shop order.</summary>
public enum OrderEventType
{
    /// <summary>The buyer placed the order; it waits for payment.</summary>
    Created,

    /// <summary>The buyer paid.</summary>
    Paid,

    /// <summary>The shop handed the parcel to a carrier (<see cref="OrderEvent.Carrier"/>, <see cref="OrderEvent.TrackingNumber"/>).</summary>
    Shipped,

    /// <summary>The parcel reached the buyer (delivered, or the buyer confirmed receipt).</summary>
    Delivered,

    /// <summary>The buyer asked for a refund (a return, a complaint); it is being handled.</summary>
    RefundRequested,

    /// <summary>
    /// Money went back to the buyer: the whole order, or <see cref="OrderEvent.RefundAmount"/> of it. The order is refunded
    /// once its refunds add up to its total; a partial refund is recorded on the order, which keeps its state.
    /// </summary>
    Refunded,

    /// <summary>The order was cancelled before it was fulfilled.</summary>
    Cancelled,
}

/// <summary>
/// Who bought, as the shop's system knows them. The shop signs its events, so a phone number or an email address
/// here is proven in the sense of <see cref="ChannelSender"/>: it joins the buyer to the contact that has it.
/// At least one of <see cref="Phone"/>, <see cref="Email"/> or <see cref="ChannelInstanceId"/> with
/// <see cref="ExternalId"/> is required.
/// </summary>
public sealed record OrderBuyer
{
    /// <summary>The buyer's phone number in E.164 form.</summary>
    public string? Phone { get; init; }

    /// <summary>The buyer's email address.</summary>
    public string? Email { get; init; }

    /// <summary>The buyer's name, to greet them by.</summary>
    public string? Name { get; init; }

    /// <summary>
    /// The gateway channel instance the buyer uses (e.g. <c>webchat</c>, a marketplace IM instance), with
    /// <see cref="ExternalId"/> the buyer's id on it (the platform user id): where the shop knows them from.
    /// </summary>
    public string? ChannelInstanceId { get; init; }

    /// <summary>The buyer's id on <see cref="ChannelInstanceId"/>.</summary>
    public string? ExternalId { get; init; }
}

/// <summary>One line of an order.</summary>
/// <param name="Title">The product's name as the buyer saw it.</param>
/// <param name="Quantity">How many.</param>
/// <param name="Price">The unit price, in the order's currency.</param>
public sealed record OrderItem(string Title, int Quantity, decimal Price);

/// <summary>
/// An order event, mapped by an order integration plugin from the shop's wire format after its signature was
/// verified. Fields that an event type does not carry are null (a <see cref="OrderEventType.Paid"/> event needs
/// no items); an event that arrives before the order's <see cref="OrderEventType.Created"/> (events out of order)
/// creates the order from what it carries, and the created event fills in the rest later.
/// </summary>
public sealed record OrderEvent
{
    /// <summary>
    /// The sender's id of this event (the <c>webhook-id</c>, Shopify's <c>X-Shopify-Webhook-Id</c>): the gateway
    /// applies an event once per (instance, id) however often it is delivered.
    /// </summary>
    public required string EventId { get; init; }

    /// <summary>What happened.</summary>
    public required OrderEventType Type { get; init; }

    /// <summary>
    /// The shop's order id: the key that finds the order again in every later event of this source (Shopify's numeric
    /// order <c>id</c>, which every topic carries). Shown to buyers and agents unless <see cref="OrderName"/> is given.
    /// </summary>
    public required string OrderId { get; init; }

    /// <summary>
    /// How the shop and the buyer name the order when that is not <see cref="OrderId"/> (Shopify's <c>name</c>, e.g.
    /// <c>#1001</c>): shown on the desk and in follow-ups (<c>{order}</c>); the order is still found by <see cref="OrderId"/>.
    /// </summary>
    public string? OrderName { get; init; }

    /// <summary>When it happened, with the shop's offset where the shop sent one; the gateway's clock when absent.</summary>
    public DateTimeOffset? OccurredAt { get; init; }

    /// <summary>Who bought. Required on <see cref="OrderEventType.Created"/> and on an event for an order the gateway does not know yet.</summary>
    public OrderBuyer? Buyer { get; init; }

    /// <summary>The order's lines (on <see cref="OrderEventType.Created"/>).</summary>
    public IReadOnlyList<OrderItem>? Items { get; init; }

    /// <summary>The order's total.</summary>
    public decimal? Amount { get; init; }

    /// <summary>
    /// On <see cref="OrderEventType.Refunded"/>: what this refund returned, in the order's currency (one item of three, a
    /// shipping fee). Null: the whole order. Refunds beyond what is left of the order's total are refused.
    /// </summary>
    public decimal? RefundAmount { get; init; }

    /// <summary>ISO 4217 currency code of <see cref="Amount"/> and the item prices, e.g. <c>CNY</c>.</summary>
    public string? Currency { get; init; }

    /// <summary>On <see cref="OrderEventType.Shipped"/>: the carrier, e.g. <c>SF Express</c>.</summary>
    public string? Carrier { get; init; }

    /// <summary>On <see cref="OrderEventType.Shipped"/>: the tracking number.</summary>
    public string? TrackingNumber { get; init; }

    /// <summary>On refunds and cancellations: the reason the shop gives, if any.</summary>
    public string? Reason { get; init; }
}

/// <summary>What became of an order event.</summary>
/// <param name="OrderId">The gateway's id of the order.</param>
/// <param name="State">The order's state after the event: <c>created</c>, <c>paid</c>, <c>shipped</c>, <c>delivered</c>, <c>refund-requested</c>, <c>refunded</c> or <c>cancelled</c>.</param>
/// <param name="Duplicate">True when this event id was applied before; nothing changed.</param>
public sealed record OrderEventResult(Guid OrderId, string State, bool Duplicate);

/// <summary>
/// The one way into the gateway for an order integration's events. Each instance's container has its own sink
/// bound to the instance id. Completes only after the event is committed with everything it changes (the order,
/// the buyer's contact, the follow-ups it plans or cancels), so the integration acknowledges the shop after this
/// returns and never before.
/// </summary>
public interface IOrderEventSink
{
    /// <summary>Applies the event once.</summary>
    /// <exception cref="OrderEventRejectedException">The event is not acceptable; nothing was stored.</exception>
    Task<OrderEventResult> AcceptAsync(OrderEvent orderEvent, CancellationToken cancellationToken);
}

/// <summary>
/// Thrown by <see cref="IOrderEventSink.AcceptAsync"/> when an event is refused; nothing was stored. The
/// integration answers its caller with <see cref="StatusCode"/> and the reason.
/// </summary>
public sealed class OrderEventRejectedException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="field">The field at fault in the wire format's terms, e.g. <c>data.buyer</c>.</param>
    /// <param name="reason">A reason fit to return to the caller.</param>
    /// <param name="statusCode">422 for an event that cannot apply (a missing field, a transition the order cannot make), 409 for a conflict.</param>
    public OrderEventRejectedException(string field, string reason, int statusCode = 422)
        : base($"{field}: {reason}")
    {
        Field = field;
        StatusCode = statusCode;
    }

    /// <summary>The field at fault.</summary>
    public string Field { get; }

    /// <summary>The HTTP status the integration should answer with.</summary>
    public int StatusCode { get; }
}

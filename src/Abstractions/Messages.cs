namespace ChatGateway.Abstractions;

/// <summary>
/// Who wrote an inbound message, as the channel knows them. <see cref="DisplayName"/>, <see cref="Phone"/>
/// and <see cref="Email"/> are what the channel PROVES (a provider-signed SMS sender, a platform's user, a
/// visitor the shop vouches for with a signature): only they join the sender to another contact, confer VIP
/// or rename a contact. What a customer merely typed goes in the <c>Declared*</c> fields: kept on the
/// sender's own contact, shown to agents as not verified, never joining anyone.
/// </summary>
public sealed record ChannelSender
{
    /// <summary>The sender's id on this channel (a phone number, a visitor id, a chat id). Required.</summary>
    public required string ExternalId { get; init; }

    /// <summary>A name to show agents, when the channel vouches for it (a platform profile, a shop-signed visitor).</summary>
    public string? DisplayName { get; init; }

    /// <summary>The sender's phone number in E.164 form, when the channel proves it. Joins contacts across channels.</summary>
    public string? Phone { get; init; }

    /// <summary>The sender's email address, when the channel proves it. Joins contacts across channels.</summary>
    public string? Email { get; init; }

    /// <summary>A name the customer typed, unverified: kept on their own contact and shown as such.</summary>
    public string? DeclaredName { get; init; }

    /// <summary>A phone number the customer typed, unverified: never joins contacts, confers VIP or receives replies.</summary>
    public string? DeclaredPhone { get; init; }

    /// <summary>An email address the customer typed, unverified (see <see cref="DeclaredPhone"/>).</summary>
    public string? DeclaredEmail { get; init; }
}

/// <summary>A customer's message, mapped from a provider payload to the common model.</summary>
public sealed record InboundMessage
{
    /// <summary>The provider's id of the message. The gateway stores a message once per (instance, id).</summary>
    public required string ProviderMessageId { get; init; }

    /// <summary>Who wrote it.</summary>
    public required ChannelSender Sender { get; init; }

    /// <summary>The text, as the customer wrote it. Always shown as text, never as markup.</summary>
    public required string Text { get; init; }

    /// <summary>When the provider says it was sent; the gateway's clock is used when absent.</summary>
    public DateTimeOffset? SentAt { get; init; }
}

/// <summary>What became of an inbound message once the gateway accepted it.</summary>
/// <param name="MessageId">The gateway's id of the stored message.</param>
/// <param name="ConversationId">The conversation it belongs to.</param>
/// <param name="Duplicate">True when the same provider message was stored before; nothing new was stored.</param>
public sealed record InboundResult(Guid MessageId, Guid ConversationId, bool Duplicate);

/// <summary>Who an outbound message goes to on this channel.</summary>
public sealed record ChannelRecipient
{
    /// <summary>The recipient's id on this channel, as it arrived in <see cref="ChannelSender.ExternalId"/>.</summary>
    public required string ExternalId { get; init; }

    /// <summary>The recipient's phone number, when known.</summary>
    public string? Phone { get; init; }

    /// <summary>The recipient's email address, when known.</summary>
    public string? Email { get; init; }
}

/// <summary>A message from an agent (or the gateway) to a customer.</summary>
public sealed record OutboundMessage
{
    /// <summary>
    /// The gateway's id of the message: the same on every attempt to send it (a retry after a failure or a timeout, or
    /// an attempt by another gateway instance after the first one stopped). It is the idempotency key to give a provider
    /// that accepts one, so that an attempt whose answer was lost does not reach the customer twice; a channel whose
    /// provider has no such key can still see the same message again after a timeout.
    /// </summary>
    public required Guid MessageId { get; init; }

    /// <summary>The conversation it belongs to.</summary>
    public required Guid ConversationId { get; init; }

    /// <summary>Who it goes to.</summary>
    public required ChannelRecipient Recipient { get; init; }

    /// <summary>The text to send.</summary>
    public required string Text { get; init; }

    /// <summary>The display name of the agent who wrote it, if any; null for the gateway's own messages (follow-ups).</summary>
    public string? AgentName { get; init; }

    /// <summary>
    /// Answers the customer may pick, e.g. <c>1</c> to <c>5</c> for a satisfaction survey: a channel with buttons
    /// shows them as buttons that send the choice as the customer's message; any other channel sends the text alone,
    /// which already says how to answer. Null for ordinary messages.
    /// </summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>When the gateway stored it.</summary>
    public required DateTimeOffset CreatedAt { get; init; }
}

/// <summary>How a send attempt ended.</summary>
public enum DeliveryOutcome
{
    /// <summary>The provider accepted the message; a later status may report delivery.</summary>
    Sent,

    /// <summary>The message reached the customer (live channels know this at once).</summary>
    Delivered,

    /// <summary>Failed for now (timeout, 5xx, 429); the gateway retries with backoff.</summary>
    TransientFailure,

    /// <summary>Failed for good (bad number, 4xx); the gateway does not retry and shows the failure.</summary>
    PermanentFailure,
}

/// <summary>The result of one send attempt.</summary>
/// <param name="Outcome">How the attempt ended.</param>
/// <param name="ProviderMessageId">The provider's id of the sent message, used to match later status reports.</param>
/// <param name="Error">A reason to show the agent when the attempt failed. Never contains secrets or message text.</param>
public sealed record DeliveryResult(DeliveryOutcome Outcome, string? ProviderMessageId = null, string? Error = null)
{
    /// <summary>A successful send.</summary>
    public static DeliveryResult Sent(string? providerMessageId = null) => new(DeliveryOutcome.Sent, providerMessageId);

    /// <summary>A send the customer has received.</summary>
    public static DeliveryResult Delivered(string? providerMessageId = null) => new(DeliveryOutcome.Delivered, providerMessageId);

    /// <summary>A failure worth retrying.</summary>
    public static DeliveryResult Transient(string error) => new(DeliveryOutcome.TransientFailure, null, error);

    /// <summary>A failure not worth retrying.</summary>
    public static DeliveryResult Permanent(string error) => new(DeliveryOutcome.PermanentFailure, null, error);
}

/// <summary>Delivery status of a sent message, as a provider reports it later.</summary>
public enum DeliveryStatus
{
    /// <summary>Accepted by the provider.</summary>
    Sent,

    /// <summary>Received by the customer's device.</summary>
    Delivered,

    /// <summary>The provider gave up.</summary>
    Failed,
}

/// <summary>A provider's report about a message sent earlier.</summary>
/// <param name="ProviderMessageId">The provider's id, as returned in <see cref="DeliveryResult.ProviderMessageId"/>.</param>
/// <param name="Status">The new status.</param>
/// <param name="Error">The provider's reason when it failed.</param>
public sealed record DeliveryStatusUpdate(string ProviderMessageId, DeliveryStatus Status, string? Error = null);

/// <summary>One message of a conversation's history, as a channel may show it to its customer.</summary>
/// <param name="MessageId">The gateway's id.</param>
/// <param name="Direction"><c>in</c> for the customer's messages, <c>out</c> for replies.</param>
/// <param name="Text">The text.</param>
/// <param name="AgentName">Who replied, for outbound messages.</param>
/// <param name="CreatedAt">When the gateway stored it.</param>
public sealed record HistoryMessage(Guid MessageId, string Direction, string Text, string? AgentName, DateTimeOffset CreatedAt)
{
    /// <summary>
    /// For a reply that went out on another channel than the one asking: that channel's type (<c>sms</c>,
    /// <c>email</c>, …), so the customer can be told where it was sent. Null for messages of this channel.
    /// </summary>
    public string? SentVia { get; init; }

    /// <summary>The answers the customer may pick for this message (a survey's 1-5; see <see cref="OutboundMessage.Choices"/>); null for most.</summary>
    public IReadOnlyList<string>? Choices { get; init; }
}

/// <summary>A conversation with its messages, oldest first.</summary>
/// <param name="ConversationId">The conversation.</param>
/// <param name="Status"><c>waiting</c>, <c>assigned</c>, <c>closed</c>, or <c>pending</c> (the shop wrote first, e.g. a follow-up, and waits for the customer).</param>
/// <param name="Messages">Its messages, oldest first.</param>
public sealed record ConversationHistory(Guid ConversationId, string Status, IReadOnlyList<HistoryMessage> Messages);

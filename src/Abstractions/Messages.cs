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

    /// <summary>
    /// The sender's language as the platform reports it (an IETF tag such as <c>es</c>, <c>pt-BR</c>: Telegram's
    /// <c>language_code</c>); null when unknown. Routing uses it where the text's script does not tell (Latin letters).
    /// </summary>
    public string? Language { get; init; }

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

    /// <summary>
    /// The text, as the customer wrote it. Always shown as text, never as markup. May be empty only when the message
    /// carries <see cref="Attachments"/> (a photo sent alone) or <see cref="Unsupported"/> content. For an HTML email, its plain-text version.
    /// </summary>
    public required string Text { get; init; }

    /// <summary>When the provider says it was sent; the gateway's clock is used when absent.</summary>
    public DateTimeOffset? SentAt { get; init; }

    /// <summary>The subject (an email's), decoded; null for channels without one.</summary>
    public string? Subject { get; init; }

    /// <summary>
    /// The body as HTML, exactly as it arrived (channels with <see cref="ChannelCapabilities.Html"/>). The gateway keeps
    /// only a sanitised copy (no scripts, no event handlers, no remote content loaded by showing it) and shows agents that;
    /// <see cref="Text"/> stays the plain version.
    /// </summary>
    public string? Html { get; init; }

    /// <summary>Files the message carries, each saved first through <see cref="IAttachmentStore.SaveAsync"/>.</summary>
    public IReadOnlyList<MessageAttachment>? Attachments { get; init; }

    /// <summary>Where the message sits in a thread (channels with <see cref="ChannelCapabilities.Threads"/>); null otherwise.</summary>
    public MessageThread? Thread { get; init; }

    /// <summary>
    /// Sent by a machine, not by the customer (an out-of-office answer, <c>Auto-Submitted</c>, <c>Precedence: bulk</c>):
    /// stored and shown to the agent, but never answered automatically, never a survey's answer, and it neither opens a
    /// conversation for routing nor counts as the customer's last message for follow-ups.
    /// </summary>
    public bool AutoSubmitted { get; init; }

    /// <summary>
    /// A group chat or room the message was written in; null for a one-to-one chat with <see cref="Sender"/>. When set,
    /// the conversation belongs to the chat and answers go to it, and <see cref="Sender"/> is the member who spoke: the
    /// member's phone or email never joins the chat's contact to anyone.
    /// </summary>
    public ChannelChat? Chat { get; init; }

    /// <summary>
    /// What the answer to this message may use (a reply token), while it is valid; null for most channels. Kept only for a
    /// channel that declares <see cref="ChannelCapabilities.ReplyContexts"/>. See <see cref="Abstractions.ReplyContext"/>.
    /// </summary>
    public ReplyContext? ReplyContext { get; init; }

    /// <summary>
    /// Content the channel could not map (a sticker, a contact card): shown to the agent as such. <see cref="Text"/> may
    /// then be empty.
    /// </summary>
    public UnsupportedContent? Unsupported { get; init; }

    /// <summary>Where the customer came from (a deep link's payload, an ad, a QR code, a page); null for most messages. See <see cref="MessageOrigin"/>.</summary>
    public MessageOrigin? Origin { get; init; }
}

/// <summary>
/// Where a message sits in a thread, for channels that keep threads (email): the ids it answers, and the reply token of
/// the conversation the customer answers (from the reply address the gateway's message carried).
/// </summary>
public sealed record MessageThread
{
    /// <summary>The provider id of the message this one answers (an email's <c>In-Reply-To</c>), as the channel stores ids.</summary>
    public string? InReplyTo { get; init; }

    /// <summary>The provider ids of the thread's earlier messages, oldest first (an email's <c>References</c>).</summary>
    public IReadOnlyList<string> References { get; init; } = [];

    /// <summary>
    /// A conversation's <see cref="OutboundMessage.ReplyToken"/> the customer's message came back with (e.g. in the
    /// address it was sent to); the gateway checks it and ignores one it did not issue.
    /// </summary>
    public string? ReplyToken { get; init; }

    /// <summary>
    /// True where threads keep conversations apart (email): a message of no thread the gateway knows starts a
    /// conversation of its own, even while the customer has another one open. False: it joins the customer's open
    /// conversation, as on chat channels.
    /// </summary>
    public bool SeparateConversations { get; init; }
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

    /// <summary>The text to send (may be empty when the message only carries <see cref="Attachments"/>).</summary>
    public required string Text { get; init; }

    /// <summary>
    /// The conversation's subject (from the customer's first message that had one, or the follow-up's); null when it has
    /// none. A channel answering in a thread marks it as a reply itself (<c>Re:</c>).
    /// </summary>
    public string? Subject { get; init; }

    /// <summary>Files to send (an agent's), read through <see cref="IAttachmentStore.OpenReadAsync"/>. Only given to channels with <see cref="ChannelCapabilities.Attachments"/>.</summary>
    public IReadOnlyList<MessageAttachment>? Attachments { get; init; }

    /// <summary>
    /// For channels with <see cref="ChannelCapabilities.Threads"/>: the newest customer message of the conversation on
    /// this instance (<see cref="MessageThread.InReplyTo"/>) and the thread's ids (<see cref="MessageThread.References"/>,
    /// oldest first, the provider ids of its messages both ways); null when the conversation has none on this instance
    /// (the message starts a thread).
    /// </summary>
    public MessageThread? Thread { get; init; }

    /// <summary>
    /// A token naming this conversation, signed by the gateway: a channel may put it where the customer's answer brings it
    /// back (an email's reply address, <c>shop+TOKEN@example.com</c>) and give it in <see cref="MessageThread.ReplyToken"/>,
    /// so the answer joins this conversation even without the thread's ids. Letters, digits, <c>-</c> and <c>_</c> only.
    /// </summary>
    public string? ReplyToken { get; init; }

    /// <summary>The display name of the agent who wrote it, if any; null for the gateway's own messages (follow-ups).</summary>
    public string? AgentName { get; init; }

    /// <summary>
    /// For a follow-up the gateway sends on its own, its kind: <c>payment-reminder</c>, <c>order-confirmation</c>,
    /// <c>shipped</c>, <c>delivery-check-in</c>, <c>review-request</c>, <c>return-visit</c>, <c>greeting</c>,
    /// <c>callback</c> or <c>survey</c>; null for an agent's answer and the gateway's automatic replies. A channel that
    /// may start a conversation only with an approved template (WhatsApp outside its 24 hours) picks it by this kind.
    /// </summary>
    public string? FollowUpKind { get; init; }

    /// <summary>
    /// The <see cref="ReplyContext.Value"/> of the customer's latest message on this instance, while it is valid and (when
    /// single use) not handed to an earlier answer; null otherwise. A channel that got one answers through it (LINE's
    /// reply API) and, when the platform refuses it all the same (used, expired early), sends the normal way in the same
    /// attempt.
    /// </summary>
    public string? ReplyContext { get; init; }

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
    /// <summary>
    /// For a transient failure, how long the provider asked to wait before the next attempt (an HTTP <c>Retry-After</c>,
    /// Telegram's <c>retry_after</c>); the gateway waits at least this long (up to its longest backoff). Null: its own backoff.
    /// </summary>
    public TimeSpan? RetryAfter { get; init; }

    /// <summary>A successful send.</summary>
    public static DeliveryResult Sent(string? providerMessageId = null) => new(DeliveryOutcome.Sent, providerMessageId);

    /// <summary>A send the customer has received.</summary>
    public static DeliveryResult Delivered(string? providerMessageId = null) => new(DeliveryOutcome.Delivered, providerMessageId);

    /// <summary>A failure worth retrying.</summary>
    public static DeliveryResult Transient(string error) => new(DeliveryOutcome.TransientFailure, null, error);

    /// <summary>A failure worth retrying once <paramref name="retryAfter"/> has passed, as the provider asked (a 429's <c>Retry-After</c>).</summary>
    public static DeliveryResult Transient(string error, TimeSpan retryAfter) => new(DeliveryOutcome.TransientFailure, null, error) { RetryAfter = retryAfter };

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

    /// <summary>The files the message carries (open them with <see cref="IAttachmentStore.OpenForCustomerAsync"/>); null for none.</summary>
    public IReadOnlyList<MessageAttachment>? Attachments { get; init; }
}

/// <summary>A conversation with its messages, oldest first.</summary>
/// <param name="ConversationId">The conversation.</param>
/// <param name="Status"><c>waiting</c>, <c>assigned</c>, <c>closed</c>, or <c>pending</c> (the shop wrote first, e.g. a follow-up, and waits for the customer).</param>
/// <param name="Messages">Its messages, oldest first.</param>
public sealed record ConversationHistory(Guid ConversationId, string Status, IReadOnlyList<HistoryMessage> Messages)
{
    /// <summary>
    /// The agent's read mark: the agent has read the customer's messages created up to this time (a channel shows
    /// "Read" under them); null when no agent has read the conversation yet.
    /// </summary>
    public DateTimeOffset? ReadByAgentUpTo { get; init; }
}

namespace ChatGateway.Gateway.Store;

/// <summary>
/// <see cref="Pending"/>: opened by the gateway (a follow-up, a survey) and waiting for the customer, in no agent's queue;
/// the customer's next message lands in it and routes it like a new conversation.
/// </summary>
internal enum ConversationStatus { Waiting = 0, Assigned = 1, Closed = 2, Pending = 3 }

/// <summary>
/// Where a contact stands with the shop's orders, for routing: <see cref="None"/> or <see cref="Unpaid"/> to pre-sale,
/// <see cref="Bought"/> (paid, shipped or delivered) to after-sale, <see cref="Refund"/> (a refund in progress) to
/// after-sale or complaints. Kept by the order service from the contact's newest open order.
/// </summary>
internal enum OrderStage { None = 0, Unpaid = 1, Bought = 2, Refund = 3 }

/// <summary>An order's state. Events out of order never move it back (see the order service).</summary>
internal enum OrderState { Created = 0, Paid = 1, Shipped = 2, Delivered = 3, RefundRequested = 4, Refunded = 5, Cancelled = 6 }

/// <summary>What became of a planned follow-up.</summary>
internal enum FollowUpStatus { Planned = 0, Sent = 1, Skipped = 2, Cancelled = 3 }

/// <summary>In from the customer, out to the customer, or an internal note agents see and customers never do.</summary>
internal enum MessageDirection { In = 0, Out = 1, Note = 2 }

/// <summary><see cref="Resent"/>: failed, and an agent sent it again as a new message on another of the customer's channels.</summary>
internal enum MessageStatus { Received = 0, Pending = 1, Sent = 2, Delivered = 3, Failed = 4, Resent = 5 }

internal sealed class Contact
{
    public Guid Id { get; set; }
    public string? DisplayName { get; set; }
    /// <summary>A phone number a channel proved (a provider-signed SMS sender, a shop-signed visitor). Joins contacts; confers VIP.</summary>
    public string? Phone { get; set; }
    /// <summary>An email address a channel proved. Joins contacts; confers VIP.</summary>
    public string? Email { get; set; }
    /// <summary>What the customer typed as their name, unverified: shown to agents as such, never joins or renames anyone.</summary>
    public string? DeclaredName { get; set; }
    /// <summary>What the customer typed as their phone, unverified: shown to agents as such, never joins contacts, never confers VIP, never receives replies.</summary>
    public string? DeclaredPhone { get; set; }
    /// <summary>What the customer typed as their email, unverified (see <see cref="DeclaredPhone"/>).</summary>
    public string? DeclaredEmail { get; set; }
    /// <summary>Set when an agent merged this contact into another; its identities and conversations moved there (undo moves them back).</summary>
    public Guid? MergedIntoId { get; set; }
    public bool IsVip { get; set; }
    /// <summary>The contact's personal agent (专属客服), who gets their conversations first.</summary>
    public Guid? ExclusiveAgentId { get; set; }
    /// <summary>Where the contact stands with the shop's orders (routing reads it with the contact).</summary>
    public OrderStage OrderStage { get; set; }
    /// <summary>When the customer declined marketing (a review request, a greeting, a return visit): 退订 / TD by SMS, the widget's setting.</summary>
    public DateTimeOffset? MarketingOptOutAt { get; set; }
    /// <summary>When the customer declined every message the gateway would start (notices about their orders as well); answers to their own messages still go.</summary>
    public DateTimeOffset? OptOutAllAt { get; set; }
    /// <summary>The picture a channel's provider has of them (the newest reported), an <see cref="Attachment"/> of the contact.</summary>
    public Guid? AvatarId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public List<ChannelIdentity> Identities { get; set; } = [];
}

/// <summary>A short free-form label an agent put on a contact (e.g. 爱砍价, 要发票); once per contact whatever its case.</summary>
internal sealed class ContactLabel
{
    public Guid Id { get; set; }
    public Guid ContactId { get; set; }
    public required string Label { get; set; }
    /// <summary><see cref="Label"/> in lower case: what makes two labels the same.</summary>
    public required string Key { get; set; }
    public Guid AgentId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A group (分组) of the shop's contacts, such as 已付款未发货 or 黑名单; supervisors keep the list.</summary>
internal sealed class ContactGroup
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    /// <summary>A line saying what the group is for (the starter groups carry their English name here).</summary>
    public string? Description { get; set; }
    /// <summary>One of the desk's palette names (<c>gray</c>, <c>red</c>, …).</summary>
    public string Color { get; set; } = "gray";
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A contact in a <see cref="ContactGroup"/>.</summary>
internal sealed class ContactGroupMember
{
    public Guid ContactId { get; set; }
    public Guid GroupId { get; set; }
    public DateTimeOffset AddedAt { get; set; }
}

/// <summary>A note (备注) about a customer, kept across their conversations; agents see it, customers never do.</summary>
internal sealed class ContactNote
{
    public Guid Id { get; set; }
    public Guid ContactId { get; set; }
    public Guid AgentId { get; set; }
    public required string AgentName { get; set; }
    public required string Text { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A contact as one channel instance knows them (a phone number, a visitor id).</summary>
internal sealed class ChannelIdentity
{
    public Guid Id { get; set; }
    public Guid ContactId { get; set; }
    public Contact? Contact { get; set; }
    public required string InstanceId { get; set; }
    public required string ExternalId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>When the customer stopped this channel instance (SMS STOP): the gateway starts nothing on it until they opt in again (START).</summary>
    public DateTimeOffset? OptedOutAt { get; set; }
    /// <summary>What the channel's provider says of this identity (<see cref="Abstractions.IContactProfiles"/>): its name there, language and picture.</summary>
    public string? ProfileName { get; set; }
    public string? ProfileLanguage { get; set; }
    public DateTimeOffset? ProfileUpdatedAt { get; set; }
    /// <summary>The person's id across the shop's accounts on the platform (<see cref="Abstractions.ContactProfile.CrossAccountId"/>), as <c>{channel type}:{id}</c>.</summary>
    public string? CrossAccountKey { get; set; }
}

internal sealed class Conversation
{
    public Guid Id { get; set; }
    public Guid ContactId { get; set; }
    public Contact? Contact { get; set; }
    public ConversationStatus Status { get; set; }
    public required string Skill { get; set; }
    public int Priority { get; set; }
    /// <summary>Why routing chose the skill and priority, for agents and admins.</summary>
    public string? RoutingReason { get; set; }
    /// <summary>The customer's language as read from their first message (<c>zh</c>, <c>en</c>, …); null when it could not be told.</summary>
    public string? Language { get; set; }
    /// <summary>Tags the tag rules put on the conversation, comma separated, lower case (e.g. <c>urgent,gift</c>).</summary>
    public string Tags { get; set; } = "";
    public Guid? AssignedAgentId { get; set; }
    /// <summary>The channel instance and identity the customer last wrote through; replies go there.</summary>
    public required string LastInstanceId { get; set; }
    public required string LastExternalId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    /// <summary>
    /// Set when the conversation opens and whenever its row is written; the inbound writer does not rewrite
    /// the row for the time alone, so readers take the newest message's (<see cref="ConversationMessages.LastMessageAtAsync"/>).
    /// </summary>
    public DateTimeOffset LastMessageAt { get; set; }
    public DateTimeOffset? AssignedAt { get; set; }
    public DateTimeOffset? ClosedAt { get; set; }
    /// <summary>When the conversation entered its current queue (for overflow timeouts).</summary>
    public DateTimeOffset? StepEnteredAt { get; set; }
    /// <summary>How often the conversation was passed on (transfers and requeues).</summary>
    public int TransferCount { get; set; }
    /// <summary>Passed around too often: a supervisor should look at it.</summary>
    public bool NeedsSupervisor { get; set; }
    /// <summary>The customer's satisfaction rating (1-5) from the survey after the conversation closed.</summary>
    public int? SurveyRating { get; set; }
    public DateTimeOffset? SurveyRatedAt { get; set; }
    /// <summary>The agent who had the conversation when it closed (the survey's rating counts for them).</summary>
    public Guid? ClosedByAgentId { get; set; }
    /// <summary>The subject of the customer's first message that had one (an email's); replies in its thread answer it.</summary>
    public string? Subject { get; set; }
    /// <summary>The agent's read mark: they had the conversation open and saw the customer's messages up to this time (unread counts start after it).</summary>
    public DateTimeOffset? AgentReadAt { get; set; }
    /// <summary>The customer's read mark: their chat was open and they saw the replies up to this time (the desk shows "Read").</summary>
    public DateTimeOffset? CustomerReadAt { get; set; }
    /// <summary>Why the agent closed it (one of <c>Conversations:CloseReasons</c>, e.g. <c>resolved</c>); null when none was given.</summary>
    public string? CloseReason { get; set; }
    /// <summary>
    /// Set while the agent snoozed (挂起) it: it stays theirs but leaves their active list. The customer's next message
    /// clears it (the inbound writer's update of the row), as does <see cref="SnoozedUntil"/> passing or the agent.
    /// </summary>
    public DateTimeOffset? SnoozedAt { get; set; }
    /// <summary>When a snooze ends by itself; null while snoozed: until the customer writes.</summary>
    public DateTimeOffset? SnoozedUntil { get; set; }
}

/// <summary>
/// What a message carries beyond its text (an email's subject, sanitised HTML body and thread ids; a machine's
/// answer), kept apart from <see cref="Message"/> so that the messages of chat channels, which have none of it,
/// write nothing more. One row per message that has any.
/// </summary>
internal sealed class MessageContent
{
    public Guid MessageId { get; set; }
    public Guid ConversationId { get; set; }
    public required string InstanceId { get; set; }
    /// <summary><see cref="Message.KeyOf"/> of the message's own provider id (inbound): how a later reply's thread ids find its conversation.</summary>
    public long? ThreadKey { get; set; }
    public string? Subject { get; set; }
    /// <summary>The HTML body after sanitising (no scripts, no handlers, no remote content); never the HTML as it arrived.</summary>
    public string? Html { get; set; }
    /// <summary>The thread ids the message named (its <c>References</c>), oldest first, space separated.</summary>
    public string? References { get; set; }
    /// <summary>Sent by a machine (an out-of-office answer): shown, never answered automatically.</summary>
    public bool AutoSubmitted { get; set; }
    /// <summary>In a group chat: the member who spoke (their id on the channel), the conversation being the group's.</summary>
    public string? SpeakerId { get; set; }
    public string? SpeakerName { get; set; }
    /// <summary>Content the channel could not map (a sticker): its kind and a line about it.</summary>
    public string? UnsupportedKind { get; set; }
    public string? UnsupportedSummary { get; set; }
    /// <summary>The content is a file the channel could not download (shown to the agent as failed).</summary>
    public bool UnsupportedFailed { get; set; }
    /// <summary>Where the customer came from (a deep link's payload, an ad, a QR code, a page): see <see cref="Abstractions.MessageOrigin"/>.</summary>
    public string? OriginKind { get; set; }
    public string? OriginReference { get; set; }
    public string? OriginUrl { get; set; }
    public string? OriginTitle { get; set; }
}

/// <summary>
/// The newest reply context (a LINE reply token) a customer's message gave on a channel instance, per conversation:
/// handed to the next answer there while it is valid (and, single use, to one only).
/// </summary>
internal sealed class ReplyContextEntry
{
    public Guid ConversationId { get; set; }
    public required string InstanceId { get; set; }
    public required string Value { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public bool SingleUse { get; set; }
    /// <summary>The customer message that gave it.</summary>
    public Guid MessageId { get; set; }
}

/// <summary>
/// A stored file: a customer's (saved by a channel before its message was accepted) or an agent's (uploaded for a
/// reply). Its bytes live in the blob store under <see cref="Id"/>; <see cref="MessageId"/> is set once a message
/// carries it, and a file no message took within a day is deleted.
/// </summary>
internal sealed class Attachment
{
    /// <summary>Random (not time-ordered): it appears in URLs, and must not tell anything about others.</summary>
    public Guid Id { get; set; }
    public Guid? MessageId { get; set; }
    public Guid? ConversationId { get; set; }
    /// <summary>The channel instance that saved it, or <see cref="Attachments.AttachmentService.DeskInstance"/> for an agent's upload.</summary>
    public required string InstanceId { get; set; }
    public Guid? UploadedByAgentId { get; set; }
    /// <summary>Set for a contact's picture (<see cref="Contact.AvatarId"/>): kept while it is theirs, shown to their agents.</summary>
    public Guid? ContactId { get; set; }
    public required string FileName { get; set; }
    public required string ContentType { get; set; }
    public long Size { get; set; }
    /// <summary>SHA-256 of the bytes, hex.</summary>
    public required string Sha256 { get; set; }
    public string? ContentId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

/// <summary>A value a channel instance keeps (<see cref="Abstractions.IChannelState"/>): an IMAP cursor, a polling offset.</summary>
internal sealed class ChannelStateEntry
{
    public required string InstanceId { get; set; }
    public required string Key { get; set; }
    public required string Value { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>A lease of a channel instance (<see cref="Abstractions.IChannelLeases"/>): who holds it, until when.</summary>
internal sealed class ChannelLeaseEntry
{
    public required string InstanceId { get; set; }
    public required string Name { get; set; }
    public required string Owner { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
}

/// <summary>
/// Where a conversation's chain of customer messages starts: its newest inbound message (kept by the
/// inbound writer, once per conversation per batch; a row of a few dozen bytes in a table of its own, so a
/// batch dirties a few pages of it where an index of every message by conversation took one random page
/// per message).
/// </summary>
internal sealed class InboundHead
{
    public Guid ConversationId { get; set; }
    public Guid LastMessageId { get; set; }
    public DateTimeOffset LastMessageAt { get; set; }

    /// <summary>
    /// The first customer message stored since an agent last answered (null once an agent answers: the
    /// store's trigger <c>Messages_AnswerEndsInboundRun</c>); what the response watch reports as waiting.
    /// </summary>
    public Guid? RunStartId { get; set; }
    public DateTimeOffset? RunStartAt { get; set; }
}

internal sealed class Message
{
    public Guid Id { get; set; }
    public Guid ConversationId { get; set; }
    public required string InstanceId { get; set; }
    public MessageDirection Direction { get; set; }
    public required string Text { get; set; }
    public MessageStatus Status { get; set; }
    /// <summary>Inbound: the provider's message id (dedupe key). Outbound: the id the provider returned.</summary>
    public string? ProviderMessageId { get; set; }
    /// <summary>
    /// <see cref="KeyOf"/> of (instance, direction, provider id), kept by <see cref="GatewayDbContext"/> and the
    /// inbound writer; null without a provider id. What the provider-id lookups seek on.
    /// </summary>
    public long? ProviderKey { get; set; }
    /// <summary>The customer's identity on the instance: the sender of an inbound message, the recipient of an outbound one.</summary>
    public required string ExternalId { get; set; }
    public Guid? AgentId { get; set; }
    public string? AgentName { get; set; }
    public string? Error { get; set; }
    public int Attempts { get; set; }
    public DateTimeOffset? NextAttemptAt { get; set; }
    /// <summary>
    /// Outbound: the gateway process that has claimed the next attempt (until <see cref="NextAttemptAt"/>, its lease),
    /// null when nobody has. An attempt is sent and recorded only by its owner.
    /// </summary>
    public string? DeliveryOwner { get; set; }
    /// <summary>
    /// Outbound, while traces are on: the W3C <c>traceparent</c> of the step that wrote the message (the agent's reply
    /// request, a follow-up run), so its <c>deliver</c> span continues that trace on whichever instance sends it.
    /// </summary>
    public string? TraceParent { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }

    /// <summary>
    /// Inbound: the conversation's customer message before this one (null for its first). The customer's
    /// messages of a conversation are a chain, newest first from its <see cref="InboundHead"/>; they are
    /// not in the conversation index (see <see cref="ConversationMessages"/>). Written by the inbound writer only.
    /// </summary>
    public Guid? PreviousInboundId { get; set; }

    /// <summary>
    /// The index key of a provider message id: 64 bits of SHA-256 over instance, direction and id. Provider
    /// ids are random (Twilio SIDs, WhatsApp wamids, email Message-IDs), so their index takes a random page
    /// per message whatever its key; a small integer key packs five times more entries into a page, so
    /// inserts split and rebalance pages less often. Two ids may share a key: lookups compare the id too.
    /// </summary>
    public static long KeyOf(string instanceId, MessageDirection direction, string providerMessageId)
    {
        // The UTF-8 bytes of "{instance}\n{direction}\n{id}", on the stack for the usual short ids.
        var encoding = System.Text.Encoding.UTF8;
        var most = encoding.GetMaxByteCount(instanceId.Length + providerMessageId.Length) + 16;
        byte[]? rented = null;
        Span<byte> buffer = most <= 1024 ? stackalloc byte[most] : (rented = System.Buffers.ArrayPool<byte>.Shared.Rent(most));
        var length = encoding.GetBytes(instanceId, buffer);
        buffer[length++] = (byte)'\n';
        ((int)direction).TryFormat(buffer[length..], out var written, provider: System.Globalization.CultureInfo.InvariantCulture);
        length += written;
        buffer[length++] = (byte)'\n';
        length += encoding.GetBytes(providerMessageId, buffer[length..]);

        Span<byte> hash = stackalloc byte[System.Security.Cryptography.SHA256.HashSizeInBytes];
        System.Security.Cryptography.SHA256.HashData(buffer[..length], hash);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return System.Buffers.Binary.BinaryPrimitives.ReadInt64LittleEndian(hash);
    }
}

/// <summary>An agent's merge of two contacts, kept so that it can be undone.</summary>
internal sealed class ContactMerge
{
    public Guid Id { get; set; }
    /// <summary>The contact merged away (it keeps its row, with <see cref="Contact.MergedIntoId"/> set).</summary>
    public Guid FromContactId { get; set; }
    /// <summary>The contact that now holds both histories.</summary>
    public Guid IntoContactId { get; set; }
    public Guid AgentId { get; set; }
    public DateTimeOffset MergedAt { get; set; }
    /// <summary>What moved, as JSON (identity ids, conversation ids, fields filled in), so that undo moves exactly that back.</summary>
    public string Moved { get; set; } = "{}";
    public DateTimeOffset? UndoneAt { get; set; }
    public Guid? UndoneByAgentId { get; set; }
}

/// <summary>Agent roles: an agent serves their own conversations and queues; a supervisor (admin) also manages.</summary>
internal static class AgentRoles
{
    public const string Agent = "agent";
    public const string Supervisor = "supervisor";

    public static readonly string[] All = [Agent, Supervisor];
}

/// <summary>A signed-in desk session. The cookie names it; sign-out and a password change end it here, so an old cookie stops working.</summary>
internal sealed class AgentSession
{
    public Guid Id { get; set; }
    public Guid AgentId { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset LastSeenAt { get; set; }
    public DateTimeOffset ExpiresAt { get; set; }
    public DateTimeOffset? EndedAt { get; set; }
    public string? ClientAddress { get; set; }
    public string? UserAgent { get; set; }
}

/// <summary>A secret the gateway generates once and shares between its instances through the store (e.g. the key visitor tokens are signed with).</summary>
internal sealed class GatewayKey
{
    public required string Name { get; set; }
    public required string Value { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class Agent
{
    public Guid Id { get; set; }
    public required string UserName { get; set; }
    public required string DisplayName { get; set; }
    public required string PasswordHash { get; set; }
    /// <summary>Skills, comma separated, lower case.</summary>
    public required string Skills { get; set; }
    public int MaxConcurrent { get; set; }
    public bool Enabled { get; set; } = true;
    /// <summary><see cref="AgentRoles.Agent"/> or <see cref="AgentRoles.Supervisor"/>.</summary>
    public string Role { get; set; } = AgentRoles.Agent;
    /// <summary>Seeded from configuration (Agents:Seed): disabled when it leaves the configuration. Agents made by <c>create-agent</c> or a supervisor are not.</summary>
    public bool FromConfiguration { get; set; }
    public DateTimeOffset? PasswordChangedAt { get; set; }
    /// <summary>Conversations at once per channel type, as JSON: <c>{"webchat":5,"email":10}</c>; within <see cref="MaxConcurrent"/>.</summary>
    public string ChannelCapacity { get; set; } = "{}";

    public IReadOnlyDictionary<string, int> ChannelCapacityMap =>
        (string.IsNullOrWhiteSpace(ChannelCapacity) ? null : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(ChannelCapacity))
        ?? new Dictionary<string, int>();

    /// <summary>Attributes such as languages and regions, as JSON: <c>{"language":["zh","en"]}</c>.</summary>
    public string Attributes { get; set; } = "{}";

    public IReadOnlyDictionary<string, IReadOnlyList<string>> AttributeMap =>
        (string.IsNullOrWhiteSpace(Attributes) ? null : System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, List<string>>>(Attributes))?
            .ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value, StringComparer.OrdinalIgnoreCase)
        ?? new Dictionary<string, IReadOnlyList<string>>();

    public IReadOnlyList<string> SkillList => Skills.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>A shop order, from an order integration's events (one row per source instance and order id).</summary>
internal sealed class Order
{
    public Guid Id { get; set; }
    /// <summary>The order integration instance (plugins.json id) the events come from.</summary>
    public required string SourceInstanceId { get; set; }
    /// <summary>The order as buyers and agents see it: the shop's name for it (Shopify's #1001), else its order id.</summary>
    public required string ExternalOrderId { get; set; }
    /// <summary>
    /// The source's key of the order, found again by every later event (the event's order id: Shopify's numeric id).
    /// Null only on rows stored before it existed, where it is <see cref="ExternalOrderId"/> (the migration fills it in).
    /// </summary>
    public string? SourceOrderId { get; set; }
    public Guid ContactId { get; set; }
    public OrderState State { get; set; }
    public decimal? Amount { get; set; }
    public string? Currency { get; set; }
    /// <summary>
    /// What the refunds that named their amount returned so far (null: none). The order is refunded (<see cref="RefundedAt"/>)
    /// once this reaches <see cref="Amount"/>, or when a refund of the whole order arrives.
    /// </summary>
    public decimal? RefundedAmount { get; set; }
    /// <summary>The order's lines as JSON: <c>[{"title":…,"quantity":…,"price":…}]</c>.</summary>
    public string Items { get; set; } = "[]";
    public string? BuyerName { get; set; }
    public string? BuyerPhone { get; set; }
    public string? BuyerEmail { get; set; }
    /// <summary>The channel instance and id the shop knows the buyer by (their chat channel), when it said.</summary>
    public string? BuyerInstanceId { get; set; }
    public string? BuyerExternalId { get; set; }
    public string? Carrier { get; set; }
    public string? TrackingNumber { get; set; }
    public string? Reason { get; set; }
    /// <summary>When the buyer placed it, with the offset the shop sent.</summary>
    public DateTimeOffset? PlacedAt { get; set; }
    public DateTimeOffset? PaidAt { get; set; }
    public DateTimeOffset? ShippedAt { get; set; }
    public DateTimeOffset? DeliveredAt { get; set; }
    /// <summary>When the buyer last asked for a refund.</summary>
    public DateTimeOffset? RefundRequestedAt { get; set; }
    /// <summary>When the latest refund of part of the order happened: it settles a refund request made before it.</summary>
    public DateTimeOffset? PartiallyRefundedAt { get; set; }
    public DateTimeOffset? RefundedAt { get; set; }
    public DateTimeOffset? CancelledAt { get; set; }
    /// <summary>When the gateway first heard of it.</summary>
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>An order event applied once (per source instance and the sender's event id).</summary>
internal sealed class OrderEventRecord
{
    public Guid Id { get; set; }
    public required string SourceInstanceId { get; set; }
    public required string EventId { get; set; }
    public Guid OrderId { get; set; }
    /// <summary><c>order.created</c>, <c>order.paid</c>, …</summary>
    public required string Type { get; set; }
    public DateTimeOffset? OccurredAt { get; set; }
    public DateTimeOffset ReceivedAt { get; set; }
}

/// <summary>
/// A message the gateway plans to start with a customer at a time (a payment reminder, a delivery check-in, a promised
/// callback, a survey): planned when its cause happens, checked against the present when it is due, and then sent
/// (as an outbound message whose id is this follow-up's id), skipped with a reason, or cancelled.
/// </summary>
internal sealed class FollowUp
{
    /// <summary>Also the id of the outbound message once sent: one message per follow-up, whatever fires twice.</summary>
    public Guid Id { get; set; }
    /// <summary><c>payment-reminder</c>, <c>order-confirmation</c>, <c>shipped</c>, <c>delivery-check-in</c>, <c>review-request</c>, <c>return-visit</c>, <c>greeting</c>, <c>callback</c>, <c>survey</c>.</summary>
    public required string Kind { get; set; }
    /// <summary>The configured rule that planned it (for its template and checks).</summary>
    public string? Rule { get; set; }
    /// <summary>Which of a rule's messages: 1 for the first payment reminder, 2 for the next.</summary>
    public int Step { get; set; } = 1;
    public Guid ContactId { get; set; }
    public Guid? OrderId { get; set; }
    /// <summary>The conversation it concerns (a callback, a survey) or that it was sent in.</summary>
    public Guid? ConversationId { get; set; }
    /// <summary>A callback's agent (who promised); whoever has the conversation when it is due is reminded.</summary>
    public Guid? AgentId { get; set; }
    public DateTimeOffset DueAt { get; set; }
    /// <summary>The channel instance it is meant for (planned) or went out on (sent); null: chosen when due.</summary>
    public string? Channel { get; set; }
    public FollowUpStatus Status { get; set; }
    /// <summary>Why it was skipped or cancelled (or what an agent noted when moving it).</summary>
    public string? Reason { get; set; }
    /// <summary>A callback's promise as the agent wrote it ("I will check with the warehouse").</summary>
    public string? Note { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset? UpdatedAt { get; set; }
    /// <summary>When it was sent, skipped or cancelled.</summary>
    public DateTimeOffset? DoneAt { get; set; }
    /// <summary>The agent who cancelled or moved it, if one did.</summary>
    public Guid? ChangedByAgentId { get; set; }
}

/// <summary>The follow-up kinds, as the API names them.</summary>
internal static class FollowUpKinds
{
    public const string PaymentReminder = "payment-reminder";
    public const string OrderConfirmation = "order-confirmation";
    public const string Shipped = "shipped";
    public const string DeliveryCheckIn = "delivery-check-in";
    public const string ReviewRequest = "review-request";
    public const string ReturnVisit = "return-visit";
    public const string Greeting = "greeting";
    public const string Callback = "callback";
    public const string Survey = "survey";
    /// <summary>An agent's reply scheduled for a time (send later): the text in <see cref="FollowUp.Note"/>, sent as the agent's.</summary>
    public const string ScheduledReply = "scheduled-reply";
    /// <summary>Ends a timed snooze at <see cref="Conversation.SnoozedUntil"/>; nothing is sent to the customer.</summary>
    public const string SnoozeWake = "snooze-wake";

    public static readonly string[] All = [PaymentReminder, OrderConfirmation, Shipped, DeliveryCheckIn, ReviewRequest, ReturnVisit, Greeting, Callback, Survey];
}

/// <summary>
/// A canned reply (话术): shared when <see cref="AgentId"/> is null (supervisors manage it; <see cref="Skill"/> limits it to
/// that skill's agents), else the personal reply of that agent. The shortcut is unique within its scope.
/// </summary>
internal sealed class CannedReply
{
    public Guid Id { get; set; }
    public Guid? AgentId { get; set; }
    /// <summary>Lower case; null: every agent.</summary>
    public string? Skill { get; set; }
    /// <summary>Lower case letters and digits, what the agent types after <c>/</c>.</summary>
    public required string Shortcut { get; set; }
    public required string Title { get; set; }
    /// <summary>With variables such as <c>{name}</c>, filled from the conversation when offered.</summary>
    public required string Text { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}

/// <summary>
/// A file a canned reply carries (a size chart, a payment QR code), in the reply's order. The file itself (instance
/// <see cref="Attachments.AttachmentService.CannedInstance"/>) never goes on a message: a reply gets a copy of its own.
/// </summary>
internal sealed class CannedReplyAttachment
{
    public Guid CannedReplyId { get; set; }
    public Guid AttachmentId { get; set; }
    public int Position { get; set; }
}

/// <summary>An agent sent a reply despite a forbidden phrase in it: one row per phrase, for the supervisors' count.</summary>
internal sealed class ReplyOverride
{
    public Guid Id { get; set; }
    public Guid AgentId { get; set; }
    public Guid ConversationId { get; set; }
    public Guid? MessageId { get; set; }
    /// <summary>The words of the reply that matched.</summary>
    public required string Phrase { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}

using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// A contact. DisplayName, Phone and Email are what a channel proved; the Declared* fields are what the
/// customer typed, unverified (the desk marks them "not verified").
/// </summary>
public sealed record ContactDto(
    Guid Id, string? DisplayName, string? Phone, string? Email, bool IsVip, Guid? ExclusiveAgentId = null,
    string? DeclaredName = null, string? DeclaredPhone = null, string? DeclaredEmail = null)
{
    /// <summary>The picture a channel's provider has of them (shown to their agents); null when none.</summary>
    public string? AvatarUrl { get; init; }
}

public sealed record MessageDto(
    Guid Id,
    Guid ConversationId,
    string Direction,
    string Text,
    string Status,
    string? Error,
    string? AgentName,
    string ChannelInstanceId,
    string? ChannelType,
    DateTimeOffset CreatedAt)
{
    /// <summary>The subject (an email's); null for most.</summary>
    public string? Subject { get; init; }

    /// <summary>The HTML body after sanitising, to show in a sandboxed frame; null for text messages.</summary>
    public string? Html { get; init; }

    /// <summary>The files the message carries; empty for most.</summary>
    public IReadOnlyList<AttachmentDto> Attachments { get; init; } = [];

    /// <summary>Sent by a machine (an out-of-office answer): shown, never answered automatically.</summary>
    public bool AutoSubmitted { get; init; }

    /// <summary>In a group chat: the member who wrote it (the conversation being the group's); null otherwise.</summary>
    public SpeakerDto? Speaker { get; init; }

    /// <summary>Content the channel could not show (a sticker), or a file it could not download: what it is; null for most.</summary>
    public UnsupportedDto? Unsupported { get; init; }

    /// <summary>Where the customer came from when they wrote it (a deep link, an ad, a QR code, a page); null for most.</summary>
    public OriginDto? Origin { get; init; }
}

/// <summary>The member of a group chat who wrote a message: their id on the channel and their name there.</summary>
public sealed record SpeakerDto(string Id, string? Name);

/// <summary>Content a channel received but cannot show (a sticker, a contact card): its kind and a line about it.</summary>
public sealed record UnsupportedDto(string Kind, string? Summary)
{
    /// <summary>A file the channel could not download from its provider after retrying (Summary says why).</summary>
    public bool Failed { get; init; }
}

/// <summary>
/// Where the customer came from: <paramref name="Kind"/> (<c>deep-link</c>, <c>ad</c>, <c>qr-code</c>, <c>page</c>), the
/// shop's <paramref name="Reference"/> (a deep link's payload, an ad's id, a QR code's scene), an http(s)
/// <paramref name="Url"/> and a <paramref name="Title"/>, each null when the channel gave none.
/// </summary>
public sealed record OriginDto(string Kind, string? Reference, string? Url, string? Title);

/// <summary>A file of a message, for the desk. <paramref name="Url"/> serves it to the agents who may see the conversation, nobody else.</summary>
/// <param name="Inline">A picture the desk may show in the page; other files are only downloaded.</param>
public sealed record AttachmentDto(string Id, string FileName, string ContentType, long Size, string Url, bool Inline);

/// <summary>A conversation as the desk reads it; OrderStage is the customer's (none, unpaid, bought, refund), from their newest order still going.</summary>
public sealed record ConversationDto(
    Guid Id,
    ContactDto Contact,
    string ChannelInstanceId,
    string? ChannelType,
    string Skill,
    int Priority,
    string? RoutingReason,
    string Status,
    Guid? AssignedAgentId,
    DateTimeOffset CreatedAt,
    DateTimeOffset LastMessageAt,
    IReadOnlyList<MessageDto>? Messages = null,
    int TransferCount = 0,
    bool NeedsSupervisor = false,
    string? Language = null,
    IReadOnlyList<string>? Tags = null,
    IReadOnlyList<ReplyChannelDto>? ReplyChannels = null,
    string OrderStage = "none")
{
    /// <summary>The conversation's subject (its first email's); null for chat.</summary>
    public string? Subject { get; init; }

    /// <summary>Where the customer came from, as their latest message that said so tells (a deep link, an ad…); null when none did or messages were not read.</summary>
    public OriginDto? Origin { get; init; }

    /// <summary>In the list: how many customer messages came after the agent's read mark (<see cref="AgentReadAt"/>), at most 99.</summary>
    public int UnreadCount { get; init; }

    /// <summary>In the list: the customer's newest message, cut at 80 characters, or a label for a file sent alone (<c>[图片 photo]</c>); null before they wrote.</summary>
    public string? LastCustomerMessage { get; init; }

    /// <summary>The agent's read mark: the customer's messages up to this time are read; null when never opened.</summary>
    public DateTimeOffset? AgentReadAt { get; init; }

    /// <summary>The customer's read mark: they saw the replies up to this time (the desk shows "Read" on them); null when unknown.</summary>
    public DateTimeOffset? CustomerReadAt { get; init; }
    /// <summary>Why the agent closed it (a <c>Conversations:CloseReasons</c> id such as <c>resolved</c>); null when open or closed without one.</summary>
    public string? CloseReason { get; init; }

    /// <summary>Snoozed (挂起): assigned still, out of the agent's active list until <see cref="SnoozedUntil"/> or the customer writes.</summary>
    public bool Snoozed { get; init; }

    /// <summary>When the snooze ends by itself (shop offset as stored: UTC); null while snoozed: when the customer writes.</summary>
    public DateTimeOffset? SnoozedUntil { get; init; }
}

/// <summary>A reason an agent may give when closing: its id and its labels.</summary>
public sealed record CloseReasonDto(string Id, string Zh, string En);

/// <summary>Closes a conversation; <paramref name="Reason"/> one of <c>GET /api/conversations/close-reasons</c>, or none.</summary>
public sealed record CloseRequest(string? Reason);

/// <summary>An internal note: 1-4000 characters, agents only.</summary>
public sealed record NoteRequest(string? Text);

/// <summary>
/// One of the contact's channels a reply can go out on: an identity a channel proved (never a typed phone
/// or email), on a running instance that sends text.
/// </summary>
/// <param name="Id">The identity's id: what <see cref="ReplyRequest.Via"/> names.</param>
/// <param name="Label">For agents, e.g. <c>SMS +1 555 0100</c> or <c>Web chat</c>.</param>
/// <param name="IsDefault">The channel of the customer's latest message in this conversation.</param>
public sealed record ReplyChannelDto(Guid Id, string ChannelInstanceId, string? ChannelType, string Label, bool IsDefault)
{
    /// <summary>For a channel with a reply window (WhatsApp 24 h): when it closes or closed; null for a channel without one.</summary>
    public ReplyWindowDto? Window { get; init; }
}

/// <summary>
/// A channel's window for free-form answers: <paramref name="Hours"/> long from the customer's last message there
/// (<paramref name="ClosesAt"/>; null when they never wrote on it), <paramref name="Open"/> now or not.
/// </summary>
public sealed record ReplyWindowDto(double Hours, DateTimeOffset? ClosesAt, bool Open);

/// <summary>A reply; <paramref name="Via"/> picks one of the conversation's <see cref="ConversationDto.ReplyChannels"/> (default: where the customer wrote last).</summary>
/// <param name="Attachments">Ids of files the agent uploaded for it (POST /api/conversations/{id}/attachments); the text may then be empty.</param>
/// <param name="ConfirmForbidden">The agent saw the forbidden phrases in the text and sends it anyway (each is counted for the supervisors).</param>
public sealed record ReplyRequest(string? Text, Guid? Via = null, IReadOnlyList<string>? Attachments = null, bool ConfirmForbidden = false);

/// <summary>Sends a failed reply again as a new message on another of the customer's channels.</summary>
public sealed record ResendRequest(Guid? Via);

internal static class ConversationMapping
{
    public static string ToApi(this ConversationStatus status) => status switch
    {
        ConversationStatus.Waiting => "waiting",
        ConversationStatus.Assigned => "assigned",
        ConversationStatus.Pending => "pending",
        _ => "closed",
    };

    public static string ToApi(this MessageStatus status) => status switch
    {
        MessageStatus.Received => "received",
        MessageStatus.Pending => "pending",
        MessageStatus.Sent => "sent",
        MessageStatus.Delivered => "delivered",
        MessageStatus.Resent => "resent",
        _ => "failed",
    };

    public static string ToApi(this MessageDirection direction) => direction switch
    {
        MessageDirection.In => "in",
        MessageDirection.Out => "out",
        _ => "note",
    };

    public static ContactDto ToDto(this Contact c) =>
        new(c.Id, c.DisplayName, c.Phone, c.Email, c.IsVip, c.ExclusiveAgentId, c.DeclaredName, c.DeclaredPhone, c.DeclaredEmail)
        {
            AvatarUrl = c.AvatarId is { } avatar ? $"/api/attachments/{avatar:N}" : null,
        };

    public static MessageDto ToDto(this Message m, Func<string, string?> channelType) => new(
        m.Id, m.ConversationId, m.Direction.ToApi(), m.Text, m.Status.ToApi(), m.Error, m.AgentName, m.InstanceId, channelType(m.InstanceId), m.CreatedAt);

    /// <summary>The message with what it carries beyond its text (see <see cref="MessageExtras"/>).</summary>
    public static MessageDto ToDto(this Message m, Func<string, string?> channelType, MessageContent? content, IReadOnlyList<Abstractions.MessageAttachment>? attachments) =>
        m.ToDto(channelType) with
        {
            Subject = content?.Subject,
            Html = content?.Html,
            AutoSubmitted = content?.AutoSubmitted ?? false,
            Speaker = content?.SpeakerId is { } speaker ? new SpeakerDto(speaker, content.SpeakerName) : null,
            Unsupported = content?.UnsupportedKind is { } kind ? new UnsupportedDto(kind, content.UnsupportedSummary) { Failed = content.UnsupportedFailed } : null,
            Origin = content?.OriginKind is { } origin ? new OriginDto(origin, content.OriginReference, content.OriginUrl, content.OriginTitle) : null,
            Attachments = attachments is { Count: > 0 } ? attachments.Select(ToDto).ToList() : [],
        };

    public static AttachmentDto ToDto(this Abstractions.MessageAttachment a) =>
        new(a.Id, a.FileName, a.ContentType, a.Size, $"/api/attachments/{a.Id}", Attachments.ContentSniffer.IsInlineImage(a.ContentType));

    public static ConversationDto ToDto(this Conversation c, Contact contact, Func<string, string?> channelType, IReadOnlyList<MessageDto>? messages = null, IReadOnlyList<ReplyChannelDto>? replyChannels = null) => new(
        c.Id, contact.ToDto(), c.LastInstanceId, channelType(c.LastInstanceId), c.Skill, c.Priority, c.RoutingReason, c.Status.ToApi(), c.AssignedAgentId, c.CreatedAt, c.LastMessageAt, messages, c.TransferCount, c.NeedsSupervisor,
        c.Language, c.Tags.Split(',', StringSplitOptions.RemoveEmptyEntries), replyChannels, Orders.Wire.StageName(contact.OrderStage))
    {
        Origin = messages?.LastOrDefault(m => m.Origin is not null)?.Origin,
        AgentReadAt = c.AgentReadAt,
        CustomerReadAt = c.CustomerReadAt,
        CloseReason = c.CloseReason,
        Snoozed = c.SnoozedAt is not null,
        SnoozedUntil = c.SnoozedUntil,
    };
}

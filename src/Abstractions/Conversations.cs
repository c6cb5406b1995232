namespace ChatGateway.Abstractions;

/// <summary>
/// A value a platform gives with a customer's message so that the answer to it goes out another way than a message the
/// shop starts: LINE's reply token (free, where a push is paid), a platform's passive-reply window. Opaque to the gateway:
/// it keeps the newest one of a conversation on the instance and hands it to the next answer there
/// (<see cref="OutboundMessage.ReplyContext"/>) while it is valid; after that answers go the normal way.
/// </summary>
public sealed record ReplyContext
{
    /// <summary>The platform's value (a reply token). Kept with the message; never shown or logged.</summary>
    public required string Value { get; init; }

    /// <summary>When the platform stops taking it; the gateway hands it to no answer created after this.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }

    /// <summary>
    /// True (the default) when the platform takes it for one answer only (LINE's reply token): the gateway hands it to
    /// one message and the next ones go the normal way. False for a window that serves every answer within it.
    /// </summary>
    public bool SingleUse { get; init; } = true;
}

/// <summary>What kind of shared chat a message was written in.</summary>
public enum ChatKind
{
    /// <summary>A named group with members (a LINE group, a Telegram group, a WeChat group).</summary>
    Group,

    /// <summary>An ad hoc chat of several people without a name of its own (a LINE room).</summary>
    Room,
}

/// <summary>
/// Where a message was written when that is not a one-to-one chat with its sender: a group chat or a room. The
/// conversation belongs to the chat (answers go to <see cref="ExternalId"/>, all members read them); the message's
/// <see cref="InboundMessage.Sender"/> is the member who spoke, shown to the agent with each message.
/// </summary>
public sealed record ChannelChat
{
    /// <summary>The chat's id on this channel (a LINE group id); answers go here as <see cref="ChannelRecipient.ExternalId"/>.</summary>
    public required string ExternalId { get; init; }

    /// <summary>A group or a room.</summary>
    public ChatKind Kind { get; init; } = ChatKind.Group;

    /// <summary>The chat's name when the platform gives it (a group's name), shown to agents as the conversation's name.</summary>
    public string? Title { get; init; }
}

/// <summary>
/// Content a channel received but cannot carry as text or files (a sticker, a contact card, a poll, a payment, a message
/// type the provider added after the plugin was written): the agent sees that it came and what it is, instead of nothing.
/// </summary>
public sealed record UnsupportedContent
{
    /// <summary>What it is, in lower case: <c>sticker</c>, <c>contact</c>, <c>poll</c>, or the provider's own type name.</summary>
    public required string Kind { get; init; }

    /// <summary>What the agent should know of it, in a line (a sticker's keywords, a contact's name); null when nothing.</summary>
    public string? Summary { get; init; }

    /// <summary>
    /// True when the content is a file the channel could not fetch from the provider after retrying (a photo whose
    /// download kept failing): the message is stored with what else it had, and the agent sees the file as failed (with
    /// <see cref="Summary"/> saying why) rather than as a kind the channel does not carry.
    /// </summary>
    public bool Failed { get; init; }
}

/// <summary>
/// Where the customer came from when they wrote: a deep link's payload (Telegram's <c>/start promo42</c>), an ad they
/// clicked (WhatsApp's click-to-chat referral), a QR code they scanned (a WeChat scene), the page a web visitor was on.
/// Kept with the message and shown to agents as the conversation's context; never routing input on its own.
/// </summary>
public sealed record MessageOrigin
{
    /// <summary>What it is, in lower case: <c>deep-link</c>, <c>ad</c>, <c>qr-code</c>, <c>page</c>, or the platform's own word.</summary>
    public required string Kind { get; init; }

    /// <summary>The payload or id the shop put there (a deep link's parameter, an ad's id, a QR code's scene); null when none.</summary>
    public string? Reference { get; init; }

    /// <summary>An address the origin points at (the ad's or page's URL), http or https only; null when none.</summary>
    public string? Url { get; init; }

    /// <summary>A title to show (the ad's headline, the page's title); null when none.</summary>
    public string? Title { get; init; }
}

/// <summary>
/// What a provider says about a customer or a group chat, read after the message came (a platform's profile API):
/// the gateway shows it to agents beside the conversation.
/// </summary>
public sealed record ContactProfile
{
    /// <summary>The name the platform shows for them (a LINE display name, a group's name).</summary>
    public string? DisplayName { get; init; }

    /// <summary>Their language as the platform knows it (an IETF tag such as <c>zh-TW</c>, <c>th</c>), used for routing.</summary>
    public string? Language { get; init; }

    /// <summary>Their picture, saved first through <see cref="IAttachmentStore.SaveAsync"/>; shown to agents only.</summary>
    public MessageAttachment? Avatar { get; init; }

    /// <summary>
    /// The person's id across the shop's accounts on this platform, as the platform proves it (WeChat's UnionID, the same
    /// for one person in every official account and mini program of the shop's open-platform account). The gateway joins
    /// the contacts of identities on instances of this channel type that report the same one. At most 200 characters.
    /// </summary>
    public string? CrossAccountId { get; init; }
}

/// <summary>
/// Lets a channel enrich a contact after its message came: a display name and a picture fetched from the provider's
/// profile API, without holding the webhook's answer for it. Provided by the gateway in each instance's container.
/// </summary>
public interface IContactProfiles
{
    /// <summary>
    /// Records the profile of the customer (or group chat) with this external id on this instance. A platform's name
    /// is shown as the platform's (it never joins contacts, as phone numbers and email addresses do), and names the
    /// contact when it has no name yet. Fields left null keep what was there. Returns false, storing nothing, when no
    /// contact has this id on the instance.
    /// </summary>
    Task<bool> UpdateAsync(string externalId, ContactProfile profile, CancellationToken cancellationToken);
}

/// <summary>What became of one message of a batch given to <see cref="IInboundSink.AcceptBatchAsync"/>.</summary>
/// <param name="Result">The stored message (or the duplicate found); null when it was refused.</param>
/// <param name="RefusedReason">Why it was refused (empty, too long); null when it was stored.</param>
public sealed record InboundBatchItem(InboundResult? Result, string? RefusedReason)
{
    /// <summary>True when the message is stored (now or before).</summary>
    public bool Accepted => Result is not null;
}

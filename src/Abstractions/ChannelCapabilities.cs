namespace ChatGateway.Abstractions;

/// <summary>What a channel can do. The gateway only asks a channel for what it declares.</summary>
[Flags]
public enum ChannelCapabilities
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Receives text messages from customers.</summary>
    ReceiveText = 1,

    /// <summary>Sends text messages to customers.</summary>
    SendText = 2,

    /// <summary>Reports delivery status of sent messages through <see cref="IDeliveryStatusSink"/>.</summary>
    DeliveryReceipts = 4,

    /// <summary>Holds a live connection to the customer, so replies arrive instantly.</summary>
    LiveConnection = 8,

    /// <summary>The customer identity carries a phone number that can join contacts across channels.</summary>
    PhoneIdentity = 16,

    /// <summary>The customer identity carries an email address that can join contacts across channels.</summary>
    EmailIdentity = 32,

    /// <summary>
    /// Can message a customer who did not just write (a follow-up, a payment reminder, a survey): SMS and email can,
    /// a channel that may only answer within a window or while the customer is connected says so through
    /// <see cref="IChannelOutreach"/> as well. Without it the gateway only answers on this channel.
    /// </summary>
    StartConversation = 64,

    /// <summary>
    /// Carries files both ways (<see cref="InboundMessage.Attachments"/>, <see cref="OutboundMessage.Attachments"/>), up to
    /// <see cref="IChannelPlugin.MaxAttachmentBytes"/> each. Without it an agent's files go to the customer as links they
    /// cannot open, so the gateway refuses them for this channel.
    /// </summary>
    Attachments = 128,

    /// <summary>Receives HTML bodies (<see cref="InboundMessage.Html"/>), which the gateway sanitises before an agent sees them.</summary>
    Html = 256,

    /// <summary>
    /// Keeps messages in threads (<see cref="InboundMessage.Thread"/>, <see cref="OutboundMessage.Thread"/>), with a subject:
    /// a reply joins the conversation of its thread, and the gateway's replies carry the thread's references.
    /// </summary>
    Threads = 512,

    /// <summary>
    /// Gives reply contexts with inbound messages (<see cref="InboundMessage.ReplyContext"/>, e.g. LINE's reply token)
    /// and takes them on answers (<see cref="OutboundMessage.ReplyContext"/>). Without it the gateway hands none.
    /// </summary>
    ReplyContexts = 1024,

    /// <summary>
    /// Receives customers' files (<see cref="InboundMessage.Attachments"/>, up to <see cref="IChannelPlugin.MaxAttachmentBytes"/>
    /// each) but cannot send an agent's (a platform that fetches files only from a public address the plugin does not
    /// publish): the gateway refuses a reply with files on this channel, saying why, before anything is sent.
    /// <see cref="Attachments"/> includes it.
    /// </summary>
    ReceiveAttachments = 2048,
}

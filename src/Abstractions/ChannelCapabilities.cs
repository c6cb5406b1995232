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
}

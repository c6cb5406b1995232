using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>
/// Event ids 4900-4999 belong to the WhatsApp plugin (pick a range no other plugin uses). Message bodies,
/// tokens and signatures are never logged; customers' ids only at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4901, EventName = "WhatsAppWebhookAccepted", Level = LogLevel.Information,
        Message = "Webhook with {Events} events: {Stored} messages stored, {Refused} refused")]
    public static partial void WebhookAccepted(ILogger logger, int events, int stored, int refused);

    [LoggerMessage(EventId = 4902, EventName = "WhatsAppWebhookRejected", Level = LogLevel.Warning,
        Message = "Webhook answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 4903, EventName = "WhatsAppEventRefused", Level = LogLevel.Warning,
        Message = "Event {EventId} refused by the gateway: {Reason}")]
    public static partial void EventRefused(ILogger logger, string eventId, string reason);

    [LoggerMessage(EventId = 4904, EventName = "WhatsAppEventReceived", Level = LogLevel.Debug,
        Message = "Event {EventId} ({Type}) from {From}")]
    public static partial void EventReceived(ILogger logger, string eventId, string type, string from);

    [LoggerMessage(EventId = 4910, EventName = "WhatsAppSent", Level = LogLevel.Information,
        Message = "Message {MessageId} accepted by WhatsApp as {ProviderMessageId}")]
    public static partial void Sent(ILogger logger, Guid messageId, string? providerMessageId);

    [LoggerMessage(EventId = 4911, EventName = "WhatsAppSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Reason}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4912, EventName = "WhatsAppSendFailedPermanent", Level = LogLevel.Warning,
        Message = "WhatsApp refused message {MessageId} with {StatusCode}, error code {ErrorCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, int statusCode, string? errorCode);

    [LoggerMessage(EventId = 4913, EventName = "WhatsAppSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);
}

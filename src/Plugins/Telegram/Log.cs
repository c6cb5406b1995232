using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Telegram;

/// <summary>
/// Event ids 4900-4999 belong to the Telegram plugin (pick a range no other plugin uses). Message bodies,
/// tokens and signatures are never logged; customers' ids only at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4901, EventName = "TelegramWebhookAccepted", Level = LogLevel.Information,
        Message = "Webhook with {Events} events: {Stored} messages stored, {Refused} refused")]
    public static partial void WebhookAccepted(ILogger logger, int events, int stored, int refused);

    [LoggerMessage(EventId = 4902, EventName = "TelegramWebhookRejected", Level = LogLevel.Warning,
        Message = "Webhook answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 4903, EventName = "TelegramEventRefused", Level = LogLevel.Warning,
        Message = "Event {EventId} refused by the gateway: {Reason}")]
    public static partial void EventRefused(ILogger logger, string eventId, string reason);

    [LoggerMessage(EventId = 4904, EventName = "TelegramEventReceived", Level = LogLevel.Debug,
        Message = "Event {EventId} ({Type}) from {From}")]
    public static partial void EventReceived(ILogger logger, string eventId, string type, string from);

    [LoggerMessage(EventId = 4910, EventName = "TelegramSent", Level = LogLevel.Information,
        Message = "Message {MessageId} accepted by Telegram as {ProviderMessageId}")]
    public static partial void Sent(ILogger logger, Guid messageId, string? providerMessageId);

    [LoggerMessage(EventId = 4911, EventName = "TelegramSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Reason}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4912, EventName = "TelegramSendFailedPermanent", Level = LogLevel.Warning,
        Message = "Telegram refused message {MessageId} with {StatusCode}, error code {ErrorCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, int statusCode, string? errorCode);

    [LoggerMessage(EventId = 4913, EventName = "TelegramSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);
}

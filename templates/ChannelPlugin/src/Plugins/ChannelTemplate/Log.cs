using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.ChannelTemplate;

/// <summary>
/// Event ids 4900-4999 belong to the ChannelTemplate plugin (pick a range no other plugin uses). Message bodies,
/// tokens and signatures are never logged; customers' ids only at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4901, EventName = "ChannelTemplateWebhookAccepted", Level = LogLevel.Information,
        Message = "Webhook with {Events} events: {Stored} messages stored, {Refused} refused")]
    public static partial void WebhookAccepted(ILogger logger, int events, int stored, int refused);

    [LoggerMessage(EventId = 4902, EventName = "ChannelTemplateWebhookRejected", Level = LogLevel.Warning,
        Message = "Webhook answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 4903, EventName = "ChannelTemplateEventRefused", Level = LogLevel.Warning,
        Message = "Event {EventId} refused by the gateway: {Reason}")]
    public static partial void EventRefused(ILogger logger, string eventId, string reason);

    [LoggerMessage(EventId = 4904, EventName = "ChannelTemplateEventReceived", Level = LogLevel.Debug,
        Message = "Event {EventId} ({Type}) from {From}")]
    public static partial void EventReceived(ILogger logger, string eventId, string type, string from);

    [LoggerMessage(EventId = 4910, EventName = "ChannelTemplateSent", Level = LogLevel.Information,
        Message = "Message {MessageId} accepted by ChannelTemplate as {ProviderMessageId}")]
    public static partial void Sent(ILogger logger, Guid messageId, string? providerMessageId);

    [LoggerMessage(EventId = 4911, EventName = "ChannelTemplateSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Reason}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4912, EventName = "ChannelTemplateSendFailedPermanent", Level = LogLevel.Warning,
        Message = "ChannelTemplate refused message {MessageId} with {StatusCode}, error code {ErrorCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, int statusCode, string? errorCode);

    [LoggerMessage(EventId = 4913, EventName = "ChannelTemplateSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);
}

using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>
/// Event ids 5700-5799 belong to the WhatsApp plugin. Message bodies, tokens, signatures and phone numbers (wa_id) are
/// never logged above Debug, nor are WhatsApp's message ids (a <c>wamid</c> carries the customer's number, base64-encoded):
/// above Debug a message is named by its place in the request.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 5701, EventName = "WhatsAppWebhookAccepted", Level = LogLevel.Information,
        Message = "Webhook: {Stored} messages stored, {Refused} refused, {Statuses} delivery statuses, {Ignored} events passed over")]
    public static partial void WebhookAccepted(ILogger logger, int stored, int refused, int statuses, int ignored);

    [LoggerMessage(EventId = 5702, EventName = "WhatsAppWebhookRejected", Level = LogLevel.Warning,
        Message = "Webhook answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 5703, EventName = "WhatsAppMessageRefused", Level = LogLevel.Warning,
        Message = "Message {Index} of the request refused by the gateway: {Reason}")]
    public static partial void MessageRefused(ILogger logger, int index, string reason);

    [LoggerMessage(EventId = 5704, EventName = "WhatsAppMessageReceived", Level = LogLevel.Debug,
        Message = "Message {ProviderMessageId} ({Kind}) from {From}")]
    public static partial void MessageReceived(ILogger logger, string providerMessageId, string kind, string from);

    [LoggerMessage(EventId = 5705, EventName = "WhatsAppMediaNotKept", Level = LogLevel.Warning,
        Message = "The media of message {Index} of the request was not kept: {Reason}")]
    public static partial void MediaNotKept(ILogger logger, int index, string reason);

    [LoggerMessage(EventId = 5706, EventName = "WhatsAppMediaFetchFailed", Level = LogLevel.Warning,
        Message = "The media of message {Index} of the request could not be downloaded after {Attempts} attempts ({Reason}); the message is stored with the file as failed")]
    public static partial void MediaFetchFailed(ILogger logger, int index, int attempts, string reason);

    [LoggerMessage(EventId = 5709, EventName = "WhatsAppMediaFetchRetried", Level = LogLevel.Information,
        Message = "The media of message {Index} of the request could not be downloaded at attempt {Attempt} ({Reason}); trying again")]
    public static partial void MediaFetchRetried(ILogger logger, int index, int attempt, string reason);

    [LoggerMessage(EventId = 5707, EventName = "WhatsAppVerificationRefused", Level = LogLevel.Warning,
        Message = "Webhook verification refused: {Reason}")]
    public static partial void VerificationRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 5708, EventName = "WhatsAppVerified", Level = LogLevel.Information,
        Message = "Webhook verified by Meta")]
    public static partial void Verified(ILogger logger);

    [LoggerMessage(EventId = 5710, EventName = "WhatsAppSent", Level = LogLevel.Information,
        Message = "Message {MessageId} sent in {Parts} WhatsApp messages")]
    public static partial void Sent(ILogger logger, Guid messageId, int parts);

    [LoggerMessage(EventId = 5714, EventName = "WhatsAppSentAsTemplate", Level = LogLevel.Information,
        Message = "Message {MessageId} sent as the template {Template}: the customer service window is closed")]
    public static partial void SentAsTemplate(ILogger logger, Guid messageId, string template);

    [LoggerMessage(EventId = 5711, EventName = "WhatsAppSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Reason}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 5712, EventName = "WhatsAppSendFailedPermanent", Level = LogLevel.Warning,
        Message = "WhatsApp refused message {MessageId}: {Reason}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 5713, EventName = "WhatsAppSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);
}

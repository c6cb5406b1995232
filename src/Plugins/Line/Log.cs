using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Line;

/// <summary>
/// Event ids 4900-4999 belong to the LINE plugin. Message bodies, reply tokens, the access token and signatures are never
/// logged; customers' user ids only at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4901, EventName = "LineWebhookAccepted", Level = LogLevel.Information,
        Message = "Webhook with {Events} events: {Stored} messages stored, {Refused} refused, {Ignored} events of other kinds passed over")]
    public static partial void WebhookAccepted(ILogger logger, int events, int stored, int refused, int ignored);

    [LoggerMessage(EventId = 4902, EventName = "LineWebhookRejected", Level = LogLevel.Warning,
        Message = "Webhook answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 4903, EventName = "LineEventRefused", Level = LogLevel.Warning,
        Message = "Message {ProviderMessageId} refused by the gateway: {Reason}")]
    public static partial void EventRefused(ILogger logger, string providerMessageId, string reason);

    [LoggerMessage(EventId = 4904, EventName = "LineEventReceived", Level = LogLevel.Debug,
        Message = "Message {ProviderMessageId} ({Kind}) from {From}")]
    public static partial void EventReceived(ILogger logger, string providerMessageId, string kind, string from);

    [LoggerMessage(EventId = 4905, EventName = "LineContentNotKept", Level = LogLevel.Warning,
        Message = "The content of message {ProviderMessageId} was not kept: {Reason}")]
    public static partial void ContentNotKept(ILogger logger, string providerMessageId, string reason);

    [LoggerMessage(EventId = 4906, EventName = "LineContentFetchFailed", Level = LogLevel.Warning,
        Message = "The content of message {ProviderMessageId} could not be fetched for now ({Reason}); LINE is asked to deliver the webhook again")]
    public static partial void ContentFetchFailed(ILogger logger, string providerMessageId, string reason);

    [LoggerMessage(EventId = 4910, EventName = "LineSent", Level = LogLevel.Information,
        Message = "Message {MessageId} sent by {How} as {ProviderMessageId}")]
    public static partial void Sent(ILogger logger, Guid messageId, string how, string? providerMessageId);

    [LoggerMessage(EventId = 4911, EventName = "LineSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Reason}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4912, EventName = "LineSendFailedPermanent", Level = LogLevel.Warning,
        Message = "LINE refused the {How} of message {MessageId} with {StatusCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, string how, int statusCode);

    [LoggerMessage(EventId = 4913, EventName = "LineSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4914, EventName = "LineReplyTokenRefused", Level = LogLevel.Information,
        Message = "LINE refused the reply token of message {MessageId}; pushing it instead")]
    public static partial void ReplyTokenRefused(ILogger logger, Guid messageId);

    [LoggerMessage(EventId = 4915, EventName = "LineSentEarlier", Level = LogLevel.Information,
        Message = "Message {MessageId} was already pushed (LINE accepted its retry key as request {RequestId})")]
    public static partial void SentEarlier(ILogger logger, Guid messageId, string? requestId);

    [LoggerMessage(EventId = 4920, EventName = "LineProfileQueueFull", Level = LogLevel.Warning,
        Message = "Profile queue full: a display name is fetched with the customer's next message")]
    public static partial void ProfileQueueFull(ILogger logger);

    [LoggerMessage(EventId = 4921, EventName = "LineProfileFailed", Level = LogLevel.Warning,
        Message = "A {Kind} profile could not be fetched or recorded ({Error}); asked again with the next message")]
    public static partial void ProfileFailed(ILogger logger, string kind, string error);

    [LoggerMessage(EventId = 4922, EventName = "LineProfileNotFetched", Level = LogLevel.Information,
        Message = "A {Kind} profile was not fetched: {Outcome}")]
    public static partial void ProfileNotFetched(ILogger logger, string kind, string outcome);

    [LoggerMessage(EventId = 4923, EventName = "LineProfilePartlyRefused", Level = LogLevel.Information,
        Message = "The gateway refused part of a profile ({Reason}); the name is kept")]
    public static partial void ProfilePartlyRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 4924, EventName = "LinePictureNotFetched", Level = LogLevel.Information,
        Message = "A profile picture was not kept: {Reason}")]
    public static partial void PictureNotFetched(ILogger logger, string reason);
}

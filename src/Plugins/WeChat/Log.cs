using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WeChat;

/// <summary>
/// Event ids 4900-4999 belong to the WeChat plugin. Message bodies, tokens and signatures are never logged; OpenIDs only
/// at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4901, EventName = "WeChatWebhookRejected", Level = LogLevel.Warning,
        Message = "Webhook answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 4902, EventName = "WeChatMessageRefused", Level = LogLevel.Warning,
        Message = "Message {ProviderMessageId} refused by the gateway: {Reason}")]
    public static partial void MessageRefused(ILogger logger, string providerMessageId, string reason);

    [LoggerMessage(EventId = 4903, EventName = "WeChatMessageReceived", Level = LogLevel.Debug,
        Message = "Message {ProviderMessageId} from {From}")]
    public static partial void MessageReceived(ILogger logger, string providerMessageId, string from);

    [LoggerMessage(EventId = 4904, EventName = "WeChatUnsubscribed", Level = LogLevel.Debug,
        Message = "{From} unfollowed the account")]
    public static partial void Unsubscribed(ILogger logger, string from);

    [LoggerMessage(EventId = 4910, EventName = "WeChatSent", Level = LogLevel.Information,
        Message = "Message {MessageId} accepted by WeChat")]
    public static partial void Sent(ILogger logger, Guid messageId);

    [LoggerMessage(EventId = 4911, EventName = "WeChatSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Reason}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4912, EventName = "WeChatSendFailedPermanent", Level = LogLevel.Warning,
        Message = "WeChat refused message {MessageId} with errcode {ErrCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, int errCode);

    [LoggerMessage(EventId = 4913, EventName = "WeChatSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4920, EventName = "WeChatTokenRefreshed", Level = LogLevel.Information,
        Message = "WeChat access_token renewed, valid until {ExpiresAt}")]
    public static partial void TokenRefreshed(ILogger logger, DateTimeOffset expiresAt);

    [LoggerMessage(EventId = 4921, EventName = "WeChatTokenFetchFailed", Level = LogLevel.Warning,
        Message = "Could not get a WeChat access_token: errcode {ErrCode} {ErrMsg}")]
    public static partial void TokenFetchFailed(ILogger logger, int errCode, string errMsg);

    [LoggerMessage(EventId = 4922, EventName = "WeChatTokenServiceFailed", Level = LogLevel.Error,
        Message = "The access_token refresh failed; retrying")]
    public static partial void TokenServiceFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 4905, EventName = "WeChatMediaAttemptFailed", Level = LogLevel.Warning,
        Message = "Downloading media for message {ProviderMessageId} failed (attempt {Attempt}): {Reason}")]
    public static partial void MediaAttemptFailed(ILogger logger, string providerMessageId, int attempt, string reason);

    [LoggerMessage(EventId = 4906, EventName = "WeChatMediaFailed", Level = LogLevel.Warning,
        Message = "Media of message {ProviderMessageId} could not be downloaded; stored as failed: {Reason}")]
    public static partial void MediaFailed(ILogger logger, string providerMessageId, string reason);

    [LoggerMessage(EventId = 4930, EventName = "WeChatUserInfoQueueFull", Level = LogLevel.Warning,
        Message = "The user-info queue is full; a follower's language is read with their next message")]
    public static partial void UserInfoQueueFull(ILogger logger);

    [LoggerMessage(EventId = 4931, EventName = "WeChatUserInfoFailed", Level = LogLevel.Warning,
        Message = "Reading a follower's information failed: {Error}")]
    public static partial void UserInfoFailed(ILogger logger, string error);

    [LoggerMessage(EventId = 4932, EventName = "WeChatUserInfoNotRead", Level = LogLevel.Information,
        Message = "A follower's information could not be read: {Reason}")]
    public static partial void UserInfoNotRead(ILogger logger, string reason);

    [LoggerMessage(EventId = 4933, EventName = "WeChatUserInfoRefused", Level = LogLevel.Warning,
        Message = "The gateway refused a follower's language: {Reason}")]
    public static partial void UserInfoRefused(ILogger logger, string reason);

    [LoggerMessage(EventId = 4934, EventName = "WeChatUnionIdSeen", Level = LogLevel.Debug,
        Message = "{OpenId} has UnionID {UnionId} (not used for joining contacts)")]
    public static partial void UnionIdSeen(ILogger logger, string openId, string unionId);
}

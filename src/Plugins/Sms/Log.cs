using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Sms;

/// <summary>
/// Event ids 4100-4199 belong to the SMS plugin. Message bodies and tokens are never logged;
/// phone numbers only at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4101, EventName = "SmsInboundAccepted", Level = LogLevel.Information,
        Message = "Inbound SMS {MessageSid} accepted as message {MessageId} (duplicate: {Duplicate})")]
    public static partial void InboundAccepted(ILogger logger, string messageSid, Guid messageId, bool duplicate);

    [LoggerMessage(EventId = 4102, EventName = "SmsInboundReceived", Level = LogLevel.Debug,
        Message = "Inbound SMS {MessageSid} from {From}")]
    public static partial void InboundReceived(ILogger logger, string messageSid, string from);

    [LoggerMessage(EventId = 4103, EventName = "SmsWebhookRejected", Level = LogLevel.Warning,
        Message = "Twilio webhook {Endpoint} answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, string endpoint, int statusCode, string reason);

    [LoggerMessage(EventId = 4104, EventName = "SmsStatusReported", Level = LogLevel.Information,
        Message = "Twilio status {MessageStatus} for {MessageSid} reported (known message: {Known})")]
    public static partial void StatusReported(ILogger logger, string messageSid, string messageStatus, bool known);

    [LoggerMessage(EventId = 4105, EventName = "SmsStatusIgnored", Level = LogLevel.Debug,
        Message = "Twilio status {MessageStatus} for {MessageSid} ignored: it says nothing about delivery")]
    public static partial void StatusIgnored(ILogger logger, string messageSid, string messageStatus);

    [LoggerMessage(EventId = 4106, EventName = "SmsOutreachChoice", Level = LogLevel.Information,
        Message = "Inbound SMS {MessageSid} is an opt-out keyword: {Preference} (this number only: {ThisChannelOnly}; sender known: {Known})")]
    public static partial void OutreachChoice(ILogger logger, string messageSid, string preference, bool thisChannelOnly, bool known);

    [LoggerMessage(EventId = 4110, EventName = "SmsSending", Level = LogLevel.Debug,
        Message = "Sending message {MessageId} to {To}")]
    public static partial void Sending(ILogger logger, Guid messageId, string to);

    [LoggerMessage(EventId = 4111, EventName = "SmsSent", Level = LogLevel.Information,
        Message = "Message {MessageId} accepted by Twilio as {MessageSid}")]
    public static partial void Sent(ILogger logger, Guid messageId, string messageSid);

    [LoggerMessage(EventId = 4112, EventName = "SmsSentWithoutSid", Level = LogLevel.Warning,
        Message = "Message {MessageId} accepted by Twilio ({StatusCode}) but the answer carried no sid; its status cannot be followed")]
    public static partial void SentWithoutSid(ILogger logger, Guid messageId, int? statusCode);

    [LoggerMessage(EventId = 4113, EventName = "SmsSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Error}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string? error);

    [LoggerMessage(EventId = 4114, EventName = "SmsSendFailedPermanent", Level = LogLevel.Warning,
        Message = "Twilio refused message {MessageId} with {StatusCode}, error code {ErrorCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, int? statusCode, int? errorCode);

    [LoggerMessage(EventId = 4115, EventName = "SmsSendFailedPermanentDetail", Level = LogLevel.Debug,
        Message = "Twilio refused message {MessageId}: {Error}")]
    public static partial void SendFailedPermanentDetail(ILogger logger, Guid messageId, string? error);

    [LoggerMessage(EventId = 4116, EventName = "SmsSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4117, EventName = "SmsMediaStored", Level = LogLevel.Information,
        Message = "Inbound MMS {MessageSid}: media {Index} stored as attachment {AttachmentId} ({ContentType}, {Size} bytes)")]
    public static partial void MediaStored(ILogger logger, string messageSid, int index, string attachmentId, string contentType, long size);

    [LoggerMessage(EventId = 4118, EventName = "SmsMediaNotKept", Level = LogLevel.Warning,
        Message = "Inbound MMS {MessageSid}: media {Index} not kept, the message is stored without it: {Reason}")]
    public static partial void MediaNotKept(ILogger logger, string messageSid, int index, string reason);

    [LoggerMessage(EventId = 4119, EventName = "SmsMediaFetchFailed", Level = LogLevel.Warning,
        Message = "Inbound MMS {MessageSid}: media {Index} could not be fetched for now ({Reason}); Twilio is asked to deliver the message again")]
    public static partial void MediaFetchFailedTransient(ILogger logger, string messageSid, int index, string reason);

    [LoggerMessage(EventId = 4120, EventName = "SmsMediaServed", Level = LogLevel.Debug,
        Message = "Media {AttachmentId} served to Twilio ({ContentType}, {Size} bytes)")]
    public static partial void MediaServed(ILogger logger, string attachmentId, string contentType, long? size);

    [LoggerMessage(EventId = 4121, EventName = "SmsMediaNotServed", Level = LogLevel.Information,
        Message = "Media request answered 404: {Reason}")]
    public static partial void MediaNotServed(ILogger logger, string reason);
}

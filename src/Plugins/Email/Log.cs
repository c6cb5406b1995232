using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Email;

/// <summary>
/// Event ids 4300-4399 belong to the email plugin. Message bodies, subjects and passwords are never logged; addresses
/// only at Debug. Message ids (Message-ID) and IMAP UIDs identify mail in the logs.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4301, EventName = "EmailInboundAccepted", Level = LogLevel.Information,
        Message = "Email {ProviderMessageId} accepted as message {MessageId} (duplicate: {Duplicate}, files: {Files}, auto-submitted: {AutoSubmitted})")]
    public static partial void InboundAccepted(ILogger logger, string providerMessageId, Guid messageId, bool duplicate, int files, bool autoSubmitted);

    [LoggerMessage(EventId = 4302, EventName = "EmailInboundReceived", Level = LogLevel.Debug,
        Message = "Email {ProviderMessageId} from {From} (verified sender: {Verified})")]
    public static partial void InboundReceived(ILogger logger, string providerMessageId, string from, bool verified);

    [LoggerMessage(EventId = 4303, EventName = "EmailSkipped", Level = LogLevel.Warning,
        Message = "Email UID {Uid} in folder {Folder} ({ProviderMessageId}) skipped: {Reason}")]
    public static partial void Skipped(ILogger logger, string folder, uint uid, string providerMessageId, string reason);

    [LoggerMessage(EventId = 4304, EventName = "EmailMapFailed", Level = LogLevel.Warning,
        Message = "Email {ProviderMessageId} could not be mapped")]
    public static partial void MapFailed(ILogger logger, string providerMessageId, Exception exception);

    [LoggerMessage(EventId = 4305, EventName = "EmailAttachmentRejected", Level = LogLevel.Information,
        Message = "A file of email {ProviderMessageId} was not kept: {Reason}")]
    public static partial void AttachmentRejected(ILogger logger, string providerMessageId, string reason);

    [LoggerMessage(EventId = 4306, EventName = "EmailBounceReported", Level = LogLevel.Information,
        Message = "Bounce for sent message {OriginalMessageId} reported (known message: {Known})")]
    public static partial void BounceReported(ILogger logger, string originalMessageId, bool known);

    [LoggerMessage(EventId = 4310, EventName = "ImapLeaseTaken", Level = LogLevel.Information,
        Message = "Reading the mailbox: this gateway instance holds the IMAP lease")]
    public static partial void LeaseTaken(ILogger logger);

    [LoggerMessage(EventId = 4311, EventName = "ImapLeaseLost", Level = LogLevel.Warning,
        Message = "The IMAP lease was lost ({Reason}); another gateway instance reads the mailbox now")]
    public static partial void LeaseLost(ILogger logger, string reason);

    [LoggerMessage(EventId = 4312, EventName = "ImapConnected", Level = LogLevel.Information,
        Message = "Connected to IMAP {Host}:{Port} (IDLE: {Idle})")]
    public static partial void Connected(ILogger logger, string host, int port, bool idle);

    [LoggerMessage(EventId = 4313, EventName = "ImapFailed", Level = LogLevel.Warning,
        Message = "Reading the mailbox failed ({Reason}); trying again in {Delay}")]
    public static partial void ImapFailed(ILogger logger, string reason, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 4314, EventName = "ImapUidValidityChanged", Level = LogLevel.Warning,
        Message = "Folder {Folder} has a new UIDVALIDITY ({Old} -> {New}); reading it again from the start, already imported mail is recognised by its Message-ID")]
    public static partial void UidValidityChanged(ILogger logger, string folder, uint old, uint @new);

    [LoggerMessage(EventId = 4315, EventName = "ImapFolderRead", Level = LogLevel.Debug,
        Message = "Folder {Folder}: {Count} new message(s) after UID {After}")]
    public static partial void FolderRead(ILogger logger, string folder, int count, uint after);

    [LoggerMessage(EventId = 4316, EventName = "ImapFetchFailed", Level = LogLevel.Warning,
        Message = "The server could not return UID {Uid} in folder {Folder} (attempt {Attempt}): {Reason}")]
    public static partial void FetchFailed(ILogger logger, string folder, uint uid, int attempt, string reason);

    [LoggerMessage(EventId = 4317, EventName = "ImapFirstRun", Level = LogLevel.Information,
        Message = "Folder {Folder} read for the first time: {Count} message(s) of the last {Days} day(s) imported")]
    public static partial void FirstRun(ILogger logger, string folder, int count, int days);

    [LoggerMessage(EventId = 4320, EventName = "EmailSending", Level = LogLevel.Debug,
        Message = "Sending message {MessageId} to {To}")]
    public static partial void Sending(ILogger logger, Guid messageId, string to);

    [LoggerMessage(EventId = 4321, EventName = "EmailSent", Level = LogLevel.Information,
        Message = "Message {MessageId} accepted by the SMTP server as {ProviderMessageId}")]
    public static partial void Sent(ILogger logger, Guid messageId, string providerMessageId);

    [LoggerMessage(EventId = 4322, EventName = "EmailSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Error}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string error);

    [LoggerMessage(EventId = 4323, EventName = "EmailSendFailedPermanent", Level = LogLevel.Warning,
        Message = "The SMTP server refused message {MessageId} with {StatusCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, int statusCode);

    [LoggerMessage(EventId = 4324, EventName = "EmailSendFailedPermanentDetail", Level = LogLevel.Debug,
        Message = "The SMTP server refused message {MessageId}: {Error}")]
    public static partial void SendFailedPermanentDetail(ILogger logger, Guid messageId, string error);

    [LoggerMessage(EventId = 4325, EventName = "EmailSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);
}

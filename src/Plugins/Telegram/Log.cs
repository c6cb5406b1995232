using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Telegram;

/// <summary>
/// Event ids 4900-4999 belong to the Telegram plugin. Message bodies, the bot token, the secret token and Telegram's
/// error descriptions are never logged; users' and chats' ids only at Debug.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 4901, EventName = "TelegramUpdateAccepted", Level = LogLevel.Information,
        Message = "Update ({Kind}) stored")]
    public static partial void UpdateAccepted(ILogger logger, string kind);

    [LoggerMessage(EventId = 4902, EventName = "TelegramWebhookRejected", Level = LogLevel.Warning,
        Message = "Webhook answered {StatusCode}: {Reason}")]
    public static partial void WebhookRejected(ILogger logger, int statusCode, string reason);

    [LoggerMessage(EventId = 4903, EventName = "TelegramUpdateRefused", Level = LogLevel.Warning,
        Message = "Update refused by the gateway: {Reason}")]
    public static partial void UpdateRefusedCore(ILogger logger, string reason);

    [LoggerMessage(EventId = 4904, EventName = "TelegramUpdateReceived", Level = LogLevel.Debug,
        Message = "Update {MessageId} ({Kind}) from {From}")]
    public static partial void UpdateReceived(ILogger logger, string messageId, string kind, string from);

    [LoggerMessage(EventId = 4905, EventName = "TelegramUpdateIgnored", Level = LogLevel.Information,
        Message = "Update sent by no user (nothing to show): acknowledged")]
    public static partial void UpdateIgnored(ILogger logger);

    [LoggerMessage(EventId = 4906, EventName = "TelegramFileFetchFailed", Level = LogLevel.Warning,
        Message = "A file could not be fetched from Telegram (attempt {Attempt} of {Attempts}): {Reason}")]
    public static partial void FileFetchFailedCore(ILogger logger, int attempt, int attempts, string reason);

    [LoggerMessage(EventId = 4907, EventName = "TelegramFileNotKept", Level = LogLevel.Warning,
        Message = "A file was not kept, shown to the agent as failed or unsupported: {Reason}")]
    public static partial void FileNotKeptCore(ILogger logger, string reason);

    [LoggerMessage(EventId = 4908, EventName = "TelegramUpdateDetail", Level = LogLevel.Debug,
        Message = "... of update {MessageId}")]
    public static partial void UpdateDetail(ILogger logger, string messageId);

    [LoggerMessage(EventId = 4910, EventName = "TelegramSent", Level = LogLevel.Information,
        Message = "Message {MessageId} accepted by Telegram")]
    public static partial void Sent(ILogger logger, Guid messageId);

    [LoggerMessage(EventId = 4911, EventName = "TelegramSendFailedTransient", Level = LogLevel.Warning,
        Message = "Sending message {MessageId} failed for now: {Reason}")]
    public static partial void SendFailedTransient(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4912, EventName = "TelegramSendFailedPermanent", Level = LogLevel.Warning,
        Message = "Telegram refused message {MessageId} with {StatusCode}")]
    public static partial void SendFailedPermanent(ILogger logger, Guid messageId, int statusCode);

    [LoggerMessage(EventId = 4913, EventName = "TelegramSendRejectedLocally", Level = LogLevel.Warning,
        Message = "Message {MessageId} not sent: {Reason}")]
    public static partial void SendRejectedLocally(ILogger logger, Guid messageId, string reason);

    [LoggerMessage(EventId = 4914, EventName = "TelegramBotBlocked", Level = LogLevel.Information,
        Message = "The customer of message {MessageId} blocked the bot: outreach on this channel stopped (recorded: {Recorded})")]
    public static partial void BotBlocked(ILogger logger, Guid messageId, bool recorded);

    [LoggerMessage(EventId = 4915, EventName = "TelegramBlockChanged", Level = LogLevel.Information,
        Message = "A customer {Action} the bot: outreach on this channel recorded accordingly (recorded: {Recorded})")]
    public static partial void BlockChanged(ILogger logger, string action, bool recorded);

    [LoggerMessage(EventId = 4920, EventName = "TelegramRegistered", Level = LogLevel.Information,
        Message = "Telegram accepted {Method} after {Attempts} attempts")]
    public static partial void Registered(ILogger logger, string method, int attempts);

    [LoggerMessage(EventId = 4921, EventName = "TelegramRegistrationFailed", Level = LogLevel.Warning,
        Message = "{Method} failed ({Reason}); trying again in {Delay}")]
    public static partial void RegistrationFailed(ILogger logger, string method, string reason, TimeSpan delay);

    [LoggerMessage(EventId = 4930, EventName = "TelegramPollFailed", Level = LogLevel.Warning,
        Message = "Long polling: {Reason}; trying again after a wait")]
    public static partial void PollFailed(ILogger logger, string reason);

    // The provider id (chat and message ids) goes to Debug only; the reason above Debug.
    public static void UpdateRefused(ILogger logger, string messageId, string reason)
    {
        UpdateRefusedCore(logger, reason);
        UpdateDetail(logger, messageId);
    }

    public static void FileFetchFailed(ILogger logger, string messageId, int attempt, int attempts, string reason)
    {
        FileFetchFailedCore(logger, attempt, attempts, reason);
        UpdateDetail(logger, messageId);
    }

    public static void FileNotKept(ILogger logger, string messageId, string reason)
    {
        FileNotKeptCore(logger, reason);
        UpdateDetail(logger, messageId);
    }
}

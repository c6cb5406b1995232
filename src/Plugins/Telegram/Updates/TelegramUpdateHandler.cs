using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Api;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Telegram.Updates;

/// <summary>What became of one update.</summary>
internal enum UpdateOutcome
{
    /// <summary>Stored (or stored before: a duplicate).</summary>
    Stored,

    /// <summary>Refused by the gateway; sent again it would be refused again.</summary>
    Refused,

    /// <summary>No message: a block or unblock of the bot, recorded as the customer's outreach on this channel.</summary>
    Recorded,
}

/// <summary>
/// One mapped update into the gateway, the same for a webhook and for long polling: its file fetched and saved first
/// (tried a few times; a file that cannot be had is shown to the agent as failed), the message stored, then the user's
/// language reported. A failure of the store propagates (the caller answers 5xx, or does not move the polling offset).
/// </summary>
internal static class TelegramUpdateHandler
{
    /// <summary>Attempts at a file (getFile and the download) before it is shown as failed.</summary>
    public const int FileAttempts = 3;

    private const string TooLarge = "larger than the 20 MB Telegram lets bots download";

    /// <summary>The wait after the first failed attempt, doubled after each.</summary>
    private static readonly TimeSpan FirstFileBackoff = TimeSpan.FromMilliseconds(250);

    public static async Task<UpdateOutcome> HandleAsync(
        IServiceProvider services, ILogger logger, TelegramUpdate update, TelegramOptions options, CancellationToken cancellationToken)
    {
        if (update.BlockChange is { } change)
        {
            // Blocked: nothing the shop starts goes to them here; unblocked (or restarted): it may again.
            var recorded = await services.GetRequiredService<IOutreachPreferences>().SetAsync(
                change.UserId, change.Blocked ? OutreachPreference.None : OutreachPreference.All, thisChannelOnly: true, cancellationToken);
            Log.BlockChanged(logger, change.Blocked ? "blocked" : "unblocked", recorded);
            return UpdateOutcome.Recorded;
        }

        var message = update.Message!;
        Log.UpdateReceived(logger, message.ProviderMessageId, message.Unsupported?.Kind ?? update.File?.Kind ?? "text", message.Sender.ExternalId);

        // A photo or document is fetched and saved first; one that cannot be had is stored as failed content with the reason.
        if (update.File is not null)
        {
            message = await SaveFileAsync(services, logger, message, update.File, options, cancellationToken);
        }

        try
        {
            await services.GetRequiredService<IInboundSink>().AcceptAsync(message, cancellationToken);
        }
        catch (InboundRejectedException ex)
        {
            Log.UpdateRefused(logger, message.ProviderMessageId, ex.Message);
            return UpdateOutcome.Refused;
        }

        // Only now does the gateway know the contact: the language Telegram reports for the user.
        if (update.Language is { Length: > 0 } language)
        {
            await services.GetRequiredService<IContactProfiles>().UpdateAsync(message.Sender.ExternalId, new ContactProfile { Language = language }, cancellationToken);
        }

        Log.UpdateAccepted(logger, message.Unsupported?.Kind ?? update.File?.Kind ?? "text");
        return UpdateOutcome.Stored;
    }

    /// <summary>
    /// The message with its file saved; or with the file as failed content when Telegram would not give it after
    /// <see cref="FileAttempts"/> attempts (all within <see cref="TelegramOptions.RequestTimeout"/>, well under the time
    /// Telegram waits for a webhook's answer), or it is too large; or as unsupported content when the gateway refuses its type.
    /// </summary>
    private static async Task<InboundMessage> SaveFileAsync(
        IServiceProvider services, ILogger logger, InboundMessage message, TelegramFile file, TelegramOptions options, CancellationToken cancellationToken)
    {
        InboundMessage Failed(string reason)
        {
            Log.FileNotKept(logger, message.ProviderMessageId, reason);
            return message with { Unsupported = new UnsupportedContent { Kind = file.Kind, Failed = true, Summary = $"could not be downloaded from Telegram ({reason})" } };
        }

        if (file.Size > TelegramMapper.MaxDownloadBytes)
        {
            return Failed(TooLarge);
        }

        var time = services.GetRequiredService<TimeProvider>();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(options.RequestTimeout);
        var backoff = FirstFileBackoff;
        for (var attempt = 1; ; attempt++)
        {
            var (saved, reason, failure, retryAfter) = await TryFetchAsync(services, message, file, options, budget.Token, cancellationToken);
            if (saved is not null)
            {
                return saved;
            }

            if (failure == FetchFailure.Refused)
            {
                return NotKept(logger, message, file, reason);
            }

            if (failure == FetchFailure.Final)
            {
                return Failed(reason);
            }

            Log.FileFetchFailed(logger, message.ProviderMessageId, attempt, FileAttempts, reason);
            if (attempt == FileAttempts)
            {
                return Failed(reason);
            }

            try
            {
                // Telegram's retry_after when it gave one; one longer than what is left of the time ends the attempts.
                await Task.Delay(retryAfter > backoff ? retryAfter.Value : backoff, time, budget.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return Failed(reason);
            }

            backoff *= 2;
        }
    }

    /// <summary>How an attempt at a file failed.</summary>
    private enum FetchFailure
    {
        /// <summary>Worth another attempt (5xx, 429, no answer).</summary>
        Transient,

        /// <summary>Another attempt would fail the same way (4xx, too large): shown as failed.</summary>
        Final,

        /// <summary>The gateway does not take its type: shown as unsupported content.</summary>
        Refused,
    }

    /// <summary>A file the gateway refused for its type: shown as unsupported content (nothing failed).</summary>
    private static InboundMessage NotKept(ILogger logger, InboundMessage message, TelegramFile file, string reason)
    {
        Log.FileNotKept(logger, message.ProviderMessageId, reason);
        return message with { Unsupported = new UnsupportedContent { Kind = file.Kind, Summary = $"not kept: {reason}" } };
    }

    /// <summary>One attempt: getFile, the download, the save. A failure says why and whether another attempt may do better.</summary>
    private static async Task<(InboundMessage? Saved, string Reason, FetchFailure Failure, TimeSpan? RetryAfter)> TryFetchAsync(
        IServiceProvider services, InboundMessage message, TelegramFile file, TelegramOptions options, CancellationToken budget, CancellationToken cancellationToken)
    {
        var client = services.GetRequiredService<TelegramBotClient>();
        try
        {
            var found = await client.GetFileAsync(file.FileId, budget);
            if (!found.Ok)
            {
                // Telegram answers 400 "file is too big" for a file over the bots' 20 MB.
                return found.Description?.Contains("too big", StringComparison.OrdinalIgnoreCase) == true
                    ? (null, TooLarge, FetchFailure.Final, null)
                    : (null, found.Status == 0 ? NoAnswer(found.Unreachable, options) : $"getFile answered HTTP {found.Status}", Kind(found.Transient), found.RetryAfter);
            }

            if (found.Result is not { FilePath: { Length: > 0 } path } info)
            {
                return (null, "Telegram gave no file path for it", FetchFailure.Final, null);
            }

            if (info.FileSize > TelegramMapper.MaxDownloadBytes)
            {
                return (null, TooLarge, FetchFailure.Final, null);
            }

            var (download, failure) = await client.DownloadAsync(path, budget);
            if (failure is not null)
            {
                return (null, failure.Status == 0 ? NoAnswer(failure.Unreachable, options) : $"HTTP {failure.Status}", Kind(failure.Transient), failure.RetryAfter);
            }

            using (download)
            {
                try
                {
                    var attachment = await services.GetRequiredService<IAttachmentStore>()
                        .SaveAsync(download!.Content, file.FileName ?? Path.GetFileName(path), file.ContentType ?? download.ContentType, budget);
                    return (message with { Attachments = [attachment] }, "", FetchFailure.Final, null);
                }
                catch (AttachmentRejectedException ex)
                {
                    // Too large for the gateway's own limit: failed, with that reason; a refused type is no failure.
                    return (null, ex.Message, ex.TooLarge ? FetchFailure.Final : FetchFailure.Refused, null);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, $"no answer within {options.RequestTimeout.TotalSeconds:0.###} s", FetchFailure.Transient, null);
        }
        catch (Exception ex) when ((ex is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return (null, "the download broke off", FetchFailure.Transient, null);
        }
    }

    private static FetchFailure Kind(bool transient) => transient ? FetchFailure.Transient : FetchFailure.Final;

    /// <summary>Why there was no answer, without the client's wording (which names Telegram already).</summary>
    private static string NoAnswer(string? unreachable, TelegramOptions options) =>
        unreachable?.Contains("did not answer", StringComparison.Ordinal) == true
            ? $"no answer within {options.RequestTimeout.TotalSeconds:0.###} s"
            : "Telegram could not be reached";
}

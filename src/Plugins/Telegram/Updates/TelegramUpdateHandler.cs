using System.Text.Json;

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

    /// <summary>Not stored, worth Telegram's sending it again (a file not fetchable yet).</summary>
    Retry,
}

/// <summary>
/// One mapped update into the gateway, the same for a webhook and for long polling: its file fetched and saved first, the
/// message stored, then the user's language reported. A failure of the store propagates (the caller answers 5xx, or
/// does not move the polling offset).
/// </summary>
internal static class TelegramUpdateHandler
{
    public static async Task<(UpdateOutcome Outcome, string? Retry)> HandleAsync(
        IServiceProvider services, ILogger logger, TelegramUpdate update, TelegramOptions options, CancellationToken cancellationToken)
    {
        var message = update.Message;
        Log.UpdateReceived(logger, message.ProviderMessageId, message.Unsupported?.Kind ?? update.File?.Kind ?? "text", message.Sender.ExternalId);

        // A photo or document is fetched and stored first. A failure worth retrying stores nothing, so Telegram delivers
        // the update again; a file Telegram no longer has (or the gateway does not take) is shown as unsupported content
        // with the reason.
        if (update.File is not null)
        {
            var (saved, retry) = await SaveFileAsync(services, logger, message, update.File, options, cancellationToken);
            if (saved is null)
            {
                return (UpdateOutcome.Retry, retry);
            }

            message = saved;
        }

        try
        {
            await services.GetRequiredService<IInboundSink>().AcceptAsync(message, cancellationToken);
        }
        catch (InboundRejectedException ex)
        {
            Log.UpdateRefused(logger, message.ProviderMessageId, ex.Message);
            return (UpdateOutcome.Refused, null);
        }

        // Only now does the gateway know the contact: the language Telegram reports for the user.
        if (update.Language is { Length: > 0 } language)
        {
            await services.GetRequiredService<IContactProfiles>().UpdateAsync(message.Sender.ExternalId, new ContactProfile { Language = language }, cancellationToken);
        }

        Log.UpdateAccepted(logger, message.Unsupported?.Kind ?? update.File?.Kind ?? "text");
        return (UpdateOutcome.Stored, null);
    }

    private static async Task<(InboundMessage? Message, string? Retry)> SaveFileAsync(
        IServiceProvider services, ILogger logger, InboundMessage message, TelegramFile file, TelegramOptions options, CancellationToken cancellationToken)
    {
        InboundMessage NotKept(string reason)
        {
            Log.FileNotKept(logger, message.ProviderMessageId, reason);
            return message with { Unsupported = new UnsupportedContent { Kind = file.Kind, Summary = reason } };
        }

        if (file.Size > TelegramMapper.MaxDownloadBytes)
        {
            return (NotKept("larger than the 20 MB Telegram lets bots download"), null);
        }

        var client = services.GetRequiredService<TelegramBotClient>();
        var found = await client.CallAsync("getFile", new Dictionary<string, string> { ["file_id"] = file.FileId }, cancellationToken);
        if (!found.Ok)
        {
            return found.Transient
                ? Retry(logger, message, found.Unreachable ?? $"Telegram answered {found.Status} to getFile")
                : (NotKept($"could not be fetched from Telegram (getFile answered {found.Status})"), null);
        }

        if (found.Result.ValueKind != JsonValueKind.Object || !found.Result.TryGetProperty("file_path", out var pathValue)
            || pathValue.ValueKind != JsonValueKind.String || pathValue.GetString() is not { Length: > 0 } path)
        {
            return (NotKept("Telegram gave no file path for it"), null);
        }

        using var perFile = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        perFile.CancelAfter(options.RequestTimeout);
        try
        {
            var (response, failure) = await client.DownloadAsync(path, perFile.Token);
            if (failure is not null)
            {
                return failure.Transient
                    ? Retry(logger, message, failure.Unreachable ?? $"Telegram answered {failure.Status} to the download")
                    : (NotKept($"could not be fetched from Telegram (answered {failure.Status})"), null);
            }

            using (response)
            {
                await using var content = await response!.Content.ReadAsStreamAsync(perFile.Token);
                try
                {
                    var attachment = await services.GetRequiredService<IAttachmentStore>()
                        .SaveAsync(content, file.FileName ?? Path.GetFileName(path), file.ContentType ?? response.Content.Headers.ContentType?.MediaType, perFile.Token);
                    return (message with { Attachments = [attachment] }, null);
                }
                catch (AttachmentRejectedException ex)
                {
                    return (NotKept($"not kept: {ex.Message}"), null);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Retry(logger, message, $"the file did not arrive within {options.RequestTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception ex) when ((ex is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return Retry(logger, message, "the download broke off");
        }
    }

    private static (InboundMessage?, string?) Retry(ILogger logger, InboundMessage message, string reason)
    {
        Log.FileFetchFailed(logger, message.ProviderMessageId, reason);
        return (null, $"the file could not be fetched from Telegram ({reason}); send the update again");
    }
}

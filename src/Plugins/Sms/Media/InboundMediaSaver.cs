using ChatGateway.Abstractions;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms.Media;

/// <summary>
/// What became of an inbound MMS's media: the files stored, a note for each one that was not, and the first one not
/// kept as unsupported content (a contact card, a file of a type the shop does not take), which the agent sees as such.
/// </summary>
internal sealed record SavedMedia(IReadOnlyList<MessageAttachment> Attachments, IReadOnlyList<string> Notes, UnsupportedContent? Unsupported = null);

/// <summary>
/// Fetches each media file of an inbound MMS from Twilio and streams it into the gateway's <see cref="IAttachmentStore"/>,
/// before the message is accepted. A file the store refuses (too large, a type it does not take) or Twilio cannot give
/// (404) is left out with a note; a failure worth retrying (5xx, timeout) stops here, so the webhook answers 5xx and
/// Twilio delivers the message again (files already stored are deleted by the gateway when no message takes them).
/// </summary>
internal sealed class InboundMediaSaver(TwilioMediaClient client, IOptionsMonitor<SmsOptions> options, ILogger<InboundMediaSaver> logger)
{
    public async Task<(SavedMedia? Saved, MediaFetchFailure? Retry)> SaveAsync(
        string messageSid, IReadOnlyList<TwilioMediaItem> media, IAttachmentStore store, CancellationToken cancellationToken)
    {
        var timeout = options.CurrentValue.RequestTimeout;
        var attachments = new List<MessageAttachment>(media.Count);
        var notes = new List<string>();
        UnsupportedContent? unsupported = null;

        foreach (var item in media)
        {
            using var perFile = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            perFile.CancelAfter(timeout);
            try
            {
                var (response, failure) = await client.GetAsync(item.Url, perFile.Token);
                if (failure is not null)
                {
                    if (failure.Transient)
                    {
                        Log.MediaFetchFailedTransient(logger, messageSid, item.Index, failure.Reason);
                        return (null, failure with { Reason = $"MediaUrl{item.Index} could not be fetched from Twilio ({failure.Reason}); try again" });
                    }

                    Log.MediaNotKept(logger, messageSid, item.Index, failure.Reason);
                    notes.Add($"[A file sent with this message could not be fetched from Twilio: {failure.Reason}.]");
                    unsupported ??= Unsupported(item.ContentType, failure.Reason);
                    continue;
                }

                using (response)
                {
                    await using var content = await response!.Content.ReadAsStreamAsync(perFile.Token);
                    var declaredType = item.ContentType ?? response.Content.Headers.ContentType?.MediaType;
                    try
                    {
                        var attachment = await store.SaveAsync(content, TwilioMapper.MediaFileName(item), declaredType, perFile.Token);
                        attachments.Add(attachment);
                        Log.MediaStored(logger, messageSid, item.Index, attachment.Id, attachment.ContentType, attachment.Size);
                    }
                    catch (AttachmentRejectedException ex)
                    {
                        Log.MediaNotKept(logger, messageSid, item.Index, ex.Message);
                        notes.Add($"[A file sent with this message was not kept: {ex.Message}.]");
                        unsupported ??= Unsupported(declaredType, ex.Message);
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                var reason = $"it did not arrive within {timeout.TotalSeconds:0.###} s";
                Log.MediaFetchFailedTransient(logger, messageSid, item.Index, reason);
                return (null, new MediaFetchFailure(true, $"MediaUrl{item.Index} could not be fetched from Twilio ({reason}); try again"));
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                // The connection broke while the file was streaming into the store: nothing of it was kept.
                var reason = "the download broke off";
                Log.MediaFetchFailedTransient(logger, messageSid, item.Index, reason);
                return (null, new MediaFetchFailure(true, $"MediaUrl{item.Index} could not be fetched from Twilio ({reason}); try again"));
            }
        }

        return (new SavedMedia(attachments, notes, unsupported), null);
    }

    /// <summary>A file not kept, as the agent should see it: a contact card as such, anything else as a file of its type.</summary>
    private static UnsupportedContent Unsupported(string? contentType, string reason)
    {
        var type = contentType?.Split(';')[0].Trim().ToLowerInvariant();
        var kind = type is "text/vcard" or "text/x-vcard" or "text/directory" ? "contact" : "file";
        return new UnsupportedContent { Kind = kind, Summary = type is null ? reason : $"{type}: {reason}" };
    }
}

using ChatGateway.Abstractions;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using MimeKit;

namespace ChatGateway.Plugins.Email.Inbound;

/// <summary>What became of one mail.</summary>
internal enum EmailOutcomeKind
{
    /// <summary>Committed by the gateway (or already there: a duplicate).</summary>
    Accepted,

    /// <summary>A bounce, reported to the delivery status sink.</summary>
    BounceReported,

    /// <summary>Not for the gateway, or not readable; <see cref="EmailOutcome.Reason"/> says why.</summary>
    Skipped,

    /// <summary>Refused by the gateway (<see cref="InboundRejectedException"/>); nothing stored.</summary>
    Rejected,
}

internal sealed record EmailOutcome(EmailOutcomeKind Kind, string ProviderMessageId, string? Reason = null, bool Duplicate = false);

/// <summary>
/// Takes one raw mail to the gateway: parses and maps it, saves its files, then hands the message to the inbound sink
/// (or a bounce to the delivery status sink). A mail that cannot be read or is refused ends as an outcome with a reason,
/// never as an exception; an exception means the gateway could not take it now (try again later).
/// </summary>
internal sealed class InboundEmailProcessor(
    IInboundSink inbound,
    IDeliveryStatusSink statuses,
    IAttachmentStore attachments,
    IOptionsMonitor<EmailOptions> options,
    ILogger<InboundEmailProcessor> logger)
{
    public async Task<EmailOutcome> ProcessAsync(Stream raw, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(raw);
        var settings = options.CurrentValue;
        var fallbackId = await MailIds.HashOfRawAsync(raw, cancellationToken);

        MimeMessage message;
        try
        {
            // persistent: bodies stay in the (seekable) raw stream instead of being copied into memory.
            message = await MimeMessage.LoadAsync(EmailMapper.ParserOptions, raw, persistent: true, cancellationToken);
        }
        catch (Exception ex) when (ex is FormatException or ParseException or ArgumentException)
        {
            return new EmailOutcome(EmailOutcomeKind.Skipped, fallbackId, $"it is not a readable MIME message ({ex.GetType().Name})");
        }

        using (message)
        {
            MappedEmail mapped;
            try
            {
                mapped = EmailMapper.Map(message, fallbackId, settings);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.MapFailed(logger, fallbackId, ex);
                return new EmailOutcome(EmailOutcomeKind.Skipped, MailIds.Normalise(message.MessageId) ?? fallbackId, $"it could not be read ({ex.GetType().Name})");
            }

            if (mapped.Bounce is { } bounce)
            {
                var known = await statuses.ReportAsync(bounce, cancellationToken);
                Log.BounceReported(logger, bounce.ProviderMessageId, known);
                return new EmailOutcome(EmailOutcomeKind.BounceReported, MailIds.Normalise(message.MessageId) ?? fallbackId, known ? null : "the bounced message is not one the gateway knows");
            }

            if (mapped.Message is not { } customerMessage)
            {
                return new EmailOutcome(EmailOutcomeKind.Skipped, MailIds.Normalise(message.MessageId) ?? fallbackId, mapped.SkipReason ?? "it is not a customer's message");
            }

            var notes = new List<string>(mapped.Notes);
            var saved = new List<MessageAttachment>();
            UnsupportedContent? unsupported = null;
            foreach (var entity in mapped.Attachments)
            {
                var name = FileName(entity, saved.Count + notes.Count + 1);
                try
                {
                    saved.Add(await SaveAsync(entity, name, cancellationToken));
                }
                catch (AttachmentRejectedException ex)
                {
                    Log.AttachmentRejected(logger, customerMessage.ProviderMessageId, ex.Message);
                    notes.Add($"[The attachment \"{name}\" was not kept: {ex.Message}.]");
                    // The agent sees that a file came and what it was, not only a line in the text.
                    unsupported ??= new UnsupportedContent
                    {
                        Kind = entity.ContentType.MimeType.Equals("text/calendar", StringComparison.OrdinalIgnoreCase) ? "invitation" : "file",
                        Summary = $"{name} ({entity.ContentType.MimeType.ToLowerInvariant()}): {ex.Message}",
                    };
                }
            }

            var text = EmailMapper.ComposeText(mapped.BodyText, notes, customerMessage.Subject, saved.Count > 0, settings.MaxTextLength);
            var final = customerMessage with { Text = text, Attachments = saved.Count > 0 ? saved : null, Unsupported = unsupported };

            try
            {
                var result = await inbound.AcceptAsync(final, cancellationToken);
                Log.InboundAccepted(logger, final.ProviderMessageId, result.MessageId, result.Duplicate, saved.Count, final.AutoSubmitted);
                Log.InboundReceived(logger, final.ProviderMessageId, final.Sender.ExternalId, final.Sender.Email is not null);
                return new EmailOutcome(EmailOutcomeKind.Accepted, final.ProviderMessageId, Duplicate: result.Duplicate);
            }
            catch (InboundRejectedException ex)
            {
                return new EmailOutcome(EmailOutcomeKind.Rejected, final.ProviderMessageId, ex.Message);
            }
        }
    }

    private async Task<MessageAttachment> SaveAsync(MimeEntity entity, string name, CancellationToken cancellationToken)
    {
        switch (entity)
        {
            case MessagePart forwarded when forwarded.Message is not null:
                using (var buffer = new MemoryStream())
                {
                    await forwarded.Message.WriteToAsync(buffer, cancellationToken);
                    buffer.Position = 0;
                    return await attachments.SaveAsync(buffer, name, "message/rfc822", cancellationToken);
                }

            case MimePart part when part.Content is not null:
                await using (var content = part.Content.Open())
                {
                    var saved = await attachments.SaveAsync(content, name, part.ContentType.MimeType, cancellationToken);
                    var contentId = MailIds.Normalise(part.ContentId);
                    return contentId is null ? saved : saved with { ContentId = contentId };
                }

            default:
                throw new AttachmentRejectedException("it has no content");
        }
    }

    private static string FileName(MimeEntity entity, int index)
    {
        string? name = null;
        try
        {
            name = entity switch
            {
                MimePart part => part.FileName,
                MessagePart forwarded => forwarded.Message?.Subject is { Length: > 0 } subject ? subject + ".eml" : null,
                _ => null,
            };
        }
        catch (Exception ex) when (ex is ArgumentException or NotSupportedException)
        {
            // A name encoded in an unknown charset: use a made-up one.
        }

        name = name is null ? null : new string([.. name.Where(c => !char.IsControl(c))]).Trim();
        if (string.IsNullOrEmpty(name))
        {
            name = entity switch
            {
                MessagePart => $"attached-message-{index}.eml",
                MimePart { ContentId: { Length: > 0 } } => $"inline-{index}",
                _ => $"attachment-{index}",
            };
        }

        return name.Length <= 200 ? name : name[..200];
    }
}

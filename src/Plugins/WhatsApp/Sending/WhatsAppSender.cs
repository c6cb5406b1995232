using System.Text.RegularExpressions;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Api;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp.Sending;

/// <summary>
/// Makes one send attempt per call and judges Graph's answer; the gateway retries transient failures. Text goes as a
/// text message; each file is uploaded (<c>/media</c>) and sent as an image or a document by its media id, the text as
/// the first file's caption when it fits. A follow-up (<see cref="OutboundMessage.FollowUpKind"/> set) to a customer who
/// last wrote more than 24 hours ago goes as the template configured for its kind (<see cref="WhatsAppOptions.FollowUpTemplates"/>,
/// else <see cref="WhatsAppOptions.FollowUpTemplate"/>); agents' answers and automatic replies never do. Graph takes no
/// idempotency key: a retry after a lost answer may send again.
/// </summary>
internal sealed partial class WhatsAppSender(
    WhatsAppGraphClient graph,
    IAttachmentStore attachments,
    IConversationHistory history,
    IOptionsMonitor<WhatsAppOptions> options,
    TimeProvider time,
    ILogger<WhatsAppSender> logger) : IChannelSender
{
    /// <summary>Types WhatsApp shows as a picture; every other file goes as a document.</summary>
    private static readonly HashSet<string> ImageTypes = new(StringComparer.OrdinalIgnoreCase) { "image/jpeg", "image/png" };

    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var files = message.Attachments ?? [];
        if (files.Count == 0 && string.IsNullOrWhiteSpace(message.Text))
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no text");
            return DeliveryResult.Permanent("WhatsApp needs text or a file; this message has neither");
        }

        if (message.Text.Length > MaxTextLength)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "too long");
            return DeliveryResult.Permanent($"too long for WhatsApp ({message.Text.Length} characters; at most {MaxTextLength})");
        }

        var to = message.Recipient.ExternalId;
        var settings = options.CurrentValue;

        // Only a follow-up (its kind set) may go as a template; an agent's answer or an automatic reply never does.
        var templateName = files.Count == 0 ? settings.FollowUpTemplateFor(message.FollowUpKind) : null;
        var template = templateName is not null && settings.Templates.TryGetValue(templateName, out var t) ? t : null;
        if (template is not null && !WhatsAppOutreach.WindowOpen(await LastCustomerMessageAtAsync(to, cancellationToken), time.GetUtcNow()))
        {
            return await SendTemplateAsync(message, templateName!, template, cancellationToken);
        }

        var caption = files.Count > 0 && message.Text.Length <= WhatsAppMapper.MaxCaptionLength && !string.IsNullOrWhiteSpace(message.Text) ? message.Text : null;
        string? lastId = null;
        var parts = 0;
        if (caption is null && !string.IsNullOrWhiteSpace(message.Text))
        {
            var (id, failure) = await SendPayloadAsync(message, new GraphMessageRequest { To = to, Type = "text", Text = new GraphText(message.Text) }, cancellationToken);
            if (failure is not null)
            {
                // The window closed although the history said otherwise (the customer's last message was in an older conversation).
                if (failure.Error == GraphError.WindowClosedReason && message.FollowUpKind is { } kind)
                {
                    return template is not null
                        ? await SendTemplateAsync(message, templateName!, template, cancellationToken)
                        : DeliveryResult.Permanent($"{GraphError.WindowClosedReason} (no template for the follow-up kind {kind}: set FollowUpTemplates:{kind} or FollowUpTemplate)");
                }

                return failure;
            }

            lastId = id;
            parts++;
        }

        foreach (var file in files)
        {
            var (mediaId, uploadFailure) = await UploadAsync(message, file, cancellationToken);
            if (uploadFailure is not null)
            {
                return uploadFailure;
            }

            var isImage = ImageTypes.Contains(file.ContentType);
            var media = new GraphMediaMessage { Id = mediaId!, Caption = caption, FileName = isImage ? null : file.FileName };
            caption = null;
            var payload = isImage
                ? new GraphMessageRequest { To = to, Type = "image", Image = media }
                : new GraphMessageRequest { To = to, Type = "document", Document = media };
            var (id, failure) = await SendPayloadAsync(message, payload, cancellationToken);
            if (failure is not null)
            {
                return failure;
            }

            lastId = id;
            parts++;
        }

        Log.Sent(logger, message.MessageId, parts);
        return DeliveryResult.Sent(lastId);
    }

    private const int MaxTextLength = WhatsAppMapper.MaxTextLength;

    /// <summary>When the customer last wrote in their latest conversation here; null when never.</summary>
    private async Task<DateTimeOffset?> LastCustomerMessageAtAsync(string externalId, CancellationToken cancellationToken)
    {
        var latest = await history.GetLatestAsync(externalId, cancellationToken);
        return latest?.Messages.Where(m => m.Direction == "in").Select(m => (DateTimeOffset?)m.CreatedAt).Max();
    }

    /// <summary>The follow-up as an approved template, its <c>{text}</c> variables filled with the message's text on one line.</summary>
    private async Task<DeliveryResult> SendTemplateAsync(OutboundMessage message, string name, WhatsAppTemplateOptions template, CancellationToken cancellationToken)
    {
        // Graph refuses a variable with new lines, tabs or more than four spaces in a row.
        var text = Spaces().Replace(message.Text, " ").Trim();
        text = text.Length <= WhatsAppMapper.MaxCaptionLength ? text : text[..(WhatsAppMapper.MaxCaptionLength - 1)] + "…";
        var parameters = template.Parameters.Select(p => new GraphTemplateParameter { Text = p == "{text}" ? text : p }).ToList();
        var payload = new GraphMessageRequest
        {
            To = message.Recipient.ExternalId,
            Type = "template",
            Template = new GraphTemplate
            {
                Name = name,
                Language = new GraphLanguage(template.Language),
                Components = parameters.Count == 0 ? [] : [new GraphTemplateComponent { Parameters = parameters }],
            },
        };
        var (id, failure) = await SendPayloadAsync(message, payload, cancellationToken);
        if (failure is not null)
        {
            return failure;
        }

        Log.SentAsTemplate(logger, message.MessageId, name);
        return DeliveryResult.Sent(id);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    private async Task<(string? MediaId, DeliveryResult? Failure)> UploadAsync(OutboundMessage message, MessageAttachment file, CancellationToken cancellationToken)
    {
        var stream = await attachments.OpenReadAsync(file.Id, cancellationToken);
        if (stream is null)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "file gone");
            return (null, DeliveryResult.Permanent($"the file {file.FileName} is no longer stored"));
        }

        await using (stream)
        {
            var answer = await graph.UploadMediaAsync(stream, file.FileName, file.ContentType, cancellationToken);
            if (answer.IsSuccess && answer.Id is { } id)
            {
                return (id, null);
            }

            return (null, Judge(message, answer, "the upload of a file"));
        }
    }

    private async Task<(string? Id, DeliveryResult? Failure)> SendPayloadAsync(OutboundMessage message, GraphMessageRequest payload, CancellationToken cancellationToken)
    {
        var answer = await graph.SendMessageAsync(payload, cancellationToken);
        return answer.IsSuccess ? (answer.Id, null) : (null, Judge(message, answer, "the message"));
    }

    private DeliveryResult Judge(OutboundMessage message, GraphAnswer answer, string what)
    {
        if (answer.NetworkError is { } network)
        {
            return Transient(message, network == "timeout" ? "WhatsApp did not answer in time" : $"could not reach WhatsApp ({network})", null);
        }

        var error = answer.Error;
        if (error?.Code == GraphError.ReEngagementCode)
        {
            Log.SendFailedPermanent(logger, message.MessageId, "re-engagement (131047)");
            return DeliveryResult.Permanent(GraphError.WindowClosedReason);
        }

        var reason = $"WhatsApp answered {answer.Status} to {what}{(error is null ? "" : $" ({error.Describe()})")}";
        if (message.Text.Length >= 4 && reason.Contains(message.Text, StringComparison.Ordinal))
        {
            reason = $"WhatsApp answered {answer.Status} to {what} (code {error?.Code})";
        }

        if (answer.Status is 429 or 408 or >= 500 || error?.IsRateLimit == true)
        {
            // A rate limit's Retry-After: the gateway waits at least that long before the next attempt.
            return Transient(message, reason, answer.RetryAfter);
        }

        Log.SendFailedPermanent(logger, message.MessageId, reason);
        return DeliveryResult.Permanent(reason);
    }

    private DeliveryResult Transient(OutboundMessage message, string reason, TimeSpan? retryAfter)
    {
        Log.SendFailedTransient(logger, message.MessageId, reason);
        return retryAfter is { } wait ? DeliveryResult.Transient(reason, wait) : DeliveryResult.Transient(reason);
    }
}

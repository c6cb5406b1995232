using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;

using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WeChat.Sending;

/// <summary>
/// Sends an agent's answer as customer-service messages (客服消息): the text, then each picture (uploaded first as
/// temporary media). One attempt per call, except that a token WeChat calls invalid or expired is renewed once and the
/// call repeated. The parts that went out are noted in channel state, so a retry after a failure part-way sends only the
/// rest (the text is not sent twice).
/// </summary>
internal sealed class WeChatSender(
    WeChatApiClient api,
    WeChatAccessTokens tokens,
    IAttachmentStore attachments,
    IChannelState state,
    IOutreachPreferences preferences,
    ILogger<WeChatSender> logger) : IChannelSender
{
    public const string WindowClosed = "the 48-hour window for customer-service messages is closed";

    /// <summary>WeChat's limit for temporary image media (图片, bmp/png/jpeg/jpg/gif), 10 MB.</summary>
    public const long MaxPictureBytes = 10 * 1024 * 1024;

    private static readonly string[] PictureTypes = ["image/jpeg", "image/png", "image/gif"];

    /// <summary>The key under which the number of parts of a message already sent is kept until all went out.</summary>
    public static string ProgressKey(Guid messageId) => $"wechat:sent-parts:{messageId:N}";

    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var files = message.Attachments ?? [];
        var hasText = !string.IsNullOrWhiteSpace(message.Text);
        if (!hasText && files.Count == 0)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no text");
            return DeliveryResult.Permanent("WeChat needs text or a picture; this message has neither");
        }

        // Every file is checked before anything goes out: a message is sent whole or not at all.
        foreach (var file in files)
        {
            if (!PictureTypes.Contains(file.ContentType, StringComparer.OrdinalIgnoreCase))
            {
                Log.SendRejectedLocally(logger, message.MessageId, "not a picture");
                return DeliveryResult.Permanent($"WeChat's customer-service messages carry pictures, not {file.ContentType} files");
            }

            if (file.Size > MaxPictureBytes)
            {
                Log.SendRejectedLocally(logger, message.MessageId, "picture too large");
                return DeliveryResult.Permanent($"a picture of {file.Size / (1024.0 * 1024):0.#} MB is larger than WeChat takes (10 MB)");
            }
        }

        // The parts in order: the text, then the pictures. A retry skips those an earlier attempt sent.
        var parts = new List<MessageAttachment?>();
        if (hasText)
        {
            parts.Add(null);
        }

        parts.AddRange(files);
        var progressKey = ProgressKey(message.MessageId);
        var done = int.TryParse(await state.GetAsync(progressKey, cancellationToken), out var sent) ? Math.Clamp(sent, 0, parts.Count) : 0;

        // Pictures are uploaded before anything is sent, so a picture WeChat refuses stops the message before its text goes.
        var mediaIds = new Dictionary<int, string>();
        for (var i = done; i < parts.Count; i++)
        {
            if (parts[i] is not { } picture)
            {
                continue;
            }

            var (mediaId, failure) = await UploadAsync(message, picture, cancellationToken);
            if (failure is not null)
            {
                return failure;
            }

            mediaIds[i] = mediaId!;
        }

        for (var i = done; i < parts.Count; i++)
        {
            var request = parts[i] is null ? WeChatMapper.ToTextMessage(message) : WeChatMapper.ToImageMessage(message, mediaIds[i]);
            var result = await tokens.CallAsync((token, ct) => api.SendCustomMessageAsync(token, request, ct), cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            if (result is not { ErrCode: 0, Unreachable: false })
            {
                var failure = await JudgeAsync(message, result, cancellationToken);
                if (failure.Outcome == DeliveryOutcome.PermanentFailure && i > 0)
                {
                    // Not retried: nothing to remember for this message.
                    await state.SetAsync(progressKey, null, cancellationToken);
                }

                return failure;
            }

            if (i + 1 < parts.Count)
            {
                await state.SetAsync(progressKey, (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
            }
        }

        if (done > 0 || parts.Count > 1)
        {
            await state.SetAsync(progressKey, null, cancellationToken);
        }

        Log.Sent(logger, message.MessageId);
        return DeliveryResult.Sent();
    }

    /// <summary>The picture uploaded as temporary media: its media_id, or the result to return instead.</summary>
    private async Task<(string? MediaId, DeliveryResult? Failure)> UploadAsync(OutboundMessage message, MessageAttachment picture, CancellationToken cancellationToken)
    {
        var content = await attachments.OpenReadAsync(picture.Id, cancellationToken);
        if (content is null)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "file gone");
            return (null, DeliveryResult.Permanent("the picture is no longer in the gateway's file store"));
        }

        await using (content)
        {
            var result = await tokens.CallAsync(async (token, ct) =>
            {
                // A second try (renewed token) reads the file again from its start.
                if (content.CanSeek)
                {
                    content.Position = 0;
                }

                return await api.UploadImageAsync(token, content, UploadName(picture), picture.ContentType, ct);
            }, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            return result is { ErrCode: 0, Unreachable: false, MediaId: { } mediaId }
                ? (mediaId, null)
                : (null, await JudgeAsync(message, result, cancellationToken, "the picture"));
        }
    }

    /// <summary>WeChat checks the file name's extension against the type; the stored name may have none.</summary>
    private static string UploadName(MessageAttachment picture)
    {
        var extension = picture.ContentType.ToLowerInvariant() switch
        {
            "image/png" => ".png",
            "image/gif" => ".gif",
            _ => ".jpg",
        };
        return "picture" + extension;
    }

    private async Task<DeliveryResult> JudgeAsync(OutboundMessage message, WeChatResult? result, CancellationToken cancellationToken, string what = "the message")
    {
        switch (result)
        {
            case null:
                return Transient(message, "no WeChat access_token yet");
            case { Unreachable: true }:
                return Transient(message, result.ErrMsg ?? "could not reach WeChat", result.RetryAfter);
            case { ErrCode: 45015 }:
                return Permanent(message, result.ErrCode, WindowClosed);
            case { ErrCode: 45047 or 45009 or -1 }:
                return Transient(message, $"WeChat is limiting the rate ({result.ErrCode})");
            case { TokenInvalid: true }:
                return Transient(message, $"WeChat refused the renewed access_token ({result.ErrCode})");
            case { ErrCode: 43004 }:
                await preferences.SetAsync(message.Recipient.ExternalId, OutreachPreference.None, thisChannelOnly: true, cancellationToken);
                return Permanent(message, result.ErrCode, "the customer no longer follows the account (43004)");
            default:
                // errmsg is WeChat's own text about the error; it never quotes the message or the recipient.
                return Permanent(message, result.ErrCode, $"WeChat refused {what}: {result.ErrCode} {WeChatMapper.ErrorText(result.ErrMsg)}");
        }
    }

    private DeliveryResult Transient(OutboundMessage message, string reason, TimeSpan? retryAfter = null)
    {
        Log.SendFailedTransient(logger, message.MessageId, reason);
        return retryAfter is { } wait ? DeliveryResult.Transient(reason, wait) : DeliveryResult.Transient(reason);
    }

    private DeliveryResult Permanent(OutboundMessage message, int errCode, string reason)
    {
        Log.SendFailedPermanent(logger, message.MessageId, errCode);
        return DeliveryResult.Permanent(reason);
    }
}

/// <summary>Customer-service messages reach a customer only within 48 hours of their last message.</summary>
internal sealed class WeChatOutreach(TimeProvider time) : IChannelOutreach
{
    public static readonly TimeSpan Window = TimeSpan.FromHours(48);

    public ValueTask<string?> CannotReachAsync(OutreachRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        return ValueTask.FromResult(request.LastCustomerMessageAt is { } last && time.GetUtcNow() - last < Window
            ? null
            : WeChatSender.WindowClosed);
    }
}

using System.Globalization;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Api;

using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.Telegram.Sending;

/// <summary>
/// Makes one send attempt per call and judges the answer; the gateway retries transient failures (after Telegram's
/// <c>retry_after</c> or <c>Retry-After</c> when it gives one). Text goes by
/// <c>sendMessage</c> (in parts of 4,096 characters), files by <c>sendPhoto</c> / <c>sendDocument</c> uploads, a single
/// file with a short text as its caption. Telegram takes no idempotency key.
/// </summary>
internal sealed class TelegramSender(
    TelegramBotClient client, IAttachmentStore attachments, IOutreachPreferences preferences, ILogger<TelegramSender> logger) : IChannelSender
{
    public const int MaxTextLength = 4096;
    public const int MaxCaptionLength = 1024;

    private static readonly HashSet<string> PhotoTypes = new(StringComparer.OrdinalIgnoreCase) { "image/jpeg", "image/png", "image/webp" };

    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var files = message.Attachments ?? [];
        if (string.IsNullOrWhiteSpace(message.Text) && files.Count == 0)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no text");
            return DeliveryResult.Permanent("Telegram needs text or a file; this message has neither");
        }

        var chatId = message.Recipient.ExternalId;
        var caption = files.Count == 1 && message.Text.Length <= MaxCaptionLength ? message.Text : null;
        string? firstId = null;
        if (caption is null && !string.IsNullOrWhiteSpace(message.Text))
        {
            var parts = Split(message.Text);
            for (var i = 0; i < parts.Count; i++)
            {
                var request = new TelegramSendMessageRequest { ChatId = chatId, Text = parts[i] };
                if (i == parts.Count - 1 && files.Count == 0 && message.Choices is { Count: > 0 } choices)
                {
                    // Buttons that send the choice as the customer's message; gone once used.
                    request = request with
                    {
                        ReplyMarkup = new TelegramReplyKeyboard
                        {
                            Keyboard = [[.. choices.Select(choice => new TelegramKeyboardButton { Text = choice })]],
                            OneTimeKeyboard = true,
                            ResizeKeyboard = true,
                        },
                    };
                }

                var (id, failed) = await JudgeAsync(message, await client.SendMessageAsync(request, cancellationToken), cancellationToken);
                if (failed is not null)
                {
                    return failed;
                }

                firstId ??= id;
            }
        }

        foreach (var file in files)
        {
            var content = await attachments.OpenReadAsync(file.Id, cancellationToken);
            if (content is null)
            {
                Log.SendRejectedLocally(logger, message.MessageId, "file gone");
                return DeliveryResult.Permanent($"the file {file.FileName} is no longer stored");
            }

            await using (content)
            {
                var photo = PhotoTypes.Contains(file.ContentType);
                var result = await client.SendFileAsync(
                    chatId, photo, content, file.FileName, file.ContentType, caption is { Length: > 0 } ? caption : null, cancellationToken);
                var (id, failed) = await JudgeAsync(message, result, cancellationToken);
                if (failed is not null)
                {
                    return failed;
                }

                firstId ??= id;
            }
        }

        Log.Sent(logger, message.MessageId);
        return DeliveryResult.Sent(firstId);
    }

    /// <summary>The sent message's provider id, or the failure to report.</summary>
    private async Task<(string? Id, DeliveryResult? Failed)> JudgeAsync(OutboundMessage message, TelegramCallResult<TelegramSentMessage> result, CancellationToken cancellationToken)
    {
        if (result.Ok)
        {
            return (result.Result is { Chat: { } chat } sent
                ? $"{chat.Id.ToString(CultureInfo.InvariantCulture)}:{sent.MessageId.ToString(CultureInfo.InvariantCulture)}"
                : null, null);
        }

        if (result.Status == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return (null, Transient(message, result.Unreachable ?? "could not reach Telegram"));
        }

        if (result.Status == 429)
        {
            return (null, Transient(message, result.RetryAfter is { } wait
                ? $"Telegram answered 429 (too many requests): retry after {wait.TotalSeconds:0.###} s"
                : "Telegram answered 429 (too many requests)", result.RetryAfter));
        }

        // Telegram's descriptions name the problem ("Bad Request: chat not found"); dropped all the same if one quotes the text or the chat.
        var description = result.Description;
        if (description is not null && (description.Contains(message.Recipient.ExternalId, StringComparison.Ordinal)
            || (message.Text.Length >= 4 && description.Contains(message.Text, StringComparison.Ordinal))))
        {
            description = null;
        }

        var reason = $"Telegram answered {result.Status}{(description is null ? "" : $": {description}")}";
        if (result.Transient)
        {
            return (null, Transient(message, reason, result.RetryAfter));
        }

        if (result.Status == 403 && description?.Contains("blocked", StringComparison.OrdinalIgnoreCase) == true)
        {
            // The customer blocked the bot: nothing the shop starts goes to them here any more (answers still try, and fail).
            var recorded = await preferences.SetAsync(message.Recipient.ExternalId, OutreachPreference.None, thisChannelOnly: true, cancellationToken);
            Log.BotBlocked(logger, message.MessageId, recorded);
        }

        Log.SendFailedPermanent(logger, message.MessageId, result.Status);
        return (null, DeliveryResult.Permanent(reason));
    }

    /// <summary>The text in parts Telegram takes, never splitting a surrogate pair.</summary>
    internal static List<string> Split(string text)
    {
        var parts = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var length = Math.Min(MaxTextLength, text.Length - start);
            if (start + length < text.Length && char.IsHighSurrogate(text[start + length - 1]))
            {
                length--;
            }

            parts.Add(text.Substring(start, length));
            start += length;
        }

        return parts;
    }

    /// <summary>A failure worth retrying; after <paramref name="retryAfter"/> when Telegram said how long to wait.</summary>
    private DeliveryResult Transient(OutboundMessage message, string reason, TimeSpan? retryAfter = null)
    {
        Log.SendFailedTransient(logger, message.MessageId, reason);
        return retryAfter is { } wait ? DeliveryResult.Transient(reason, wait) : DeliveryResult.Transient(reason);
    }
}

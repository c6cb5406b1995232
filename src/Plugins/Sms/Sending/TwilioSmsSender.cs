using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Media;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms.Sending;

/// <summary>Makes one send attempt per call; the gateway retries transient failures.</summary>
internal sealed class TwilioSmsSender(
    TwilioClient client,
    MediaLinks mediaLinks,
    IOptionsMonitor<SmsOptions> options,
    ChannelInstance instance,
    ILogger<TwilioSmsSender> logger) : IChannelSender
{
    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);

        var to = TwilioMapper.RecipientNumber(message.Recipient);
        if (to is null)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no phone number");
            return DeliveryResult.Permanent("the recipient has no phone number");
        }

        // Twilio's limits for one MMS: 10 files, 5 MB together. Over them Twilio fails the message (21623, 11751), and
        // another attempt would fail the same way.
        var attachments = message.Attachments ?? [];
        if (attachments.Count > TwilioMapper.MaxMedia)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "too many files");
            return DeliveryResult.Permanent($"an MMS carries at most {TwilioMapper.MaxMedia} files; this message has {attachments.Count}");
        }

        var total = attachments.Sum(attachment => attachment.Size);
        if (total > SmsChannelPlugin.MaxMmsBytes)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "files too large");
            return DeliveryResult.Permanent($"an MMS carries at most {SmsChannelPlugin.MaxMmsBytes / (1024 * 1024)} MB of files; this message has {total} bytes");
        }

        var mediaUrls = attachments.Select(mediaLinks.CreateUrl).ToList();
        var form = TwilioMapper.ToCreateMessageForm(message, to, options.CurrentValue, instance.Id, mediaUrls);
        Log.Sending(logger, message.MessageId, to);

        var sent = await client.CreateMessageAsync(form, TwilioMapper.IdempotencyToken(message), cancellationToken);
        var result = TwilioMapper.ToDeliveryResult(sent);

        switch (result.Outcome)
        {
            case DeliveryOutcome.Sent when result.ProviderMessageId is null:
                Log.SentWithoutSid(logger, message.MessageId, sent.StatusCode);
                break;
            case DeliveryOutcome.Sent:
                Log.Sent(logger, message.MessageId, result.ProviderMessageId);
                break;
            case DeliveryOutcome.TransientFailure:
                Log.SendFailedTransient(logger, message.MessageId, result.Error);
                break;
            default:
                // Twilio's own message may quote the phone number: only its code is logged above Debug.
                Log.SendFailedPermanent(logger, message.MessageId, sent.StatusCode, sent.Error?.Code);
                Log.SendFailedPermanentDetail(logger, message.MessageId, result.Error);
                break;
        }

        return result;
    }
}

using ChatGateway.Abstractions;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms.Sending;

/// <summary>Makes one send attempt per call; the gateway retries transient failures.</summary>
internal sealed class TwilioSmsSender(
    TwilioClient client,
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

        var form = TwilioMapper.ToCreateMessageForm(message, to, options.CurrentValue, instance.Id);
        Log.Sending(logger, message.MessageId, to);

        var sent = await client.CreateMessageAsync(form, cancellationToken);
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

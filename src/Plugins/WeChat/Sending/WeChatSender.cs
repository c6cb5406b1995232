using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;

using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WeChat.Sending;

/// <summary>
/// Sends an agent's text as a customer-service message (客服消息). One attempt per call, except that a token WeChat calls
/// invalid or expired is refreshed once and the send retried in the same attempt.
/// </summary>
internal sealed class WeChatSender(WeChatApiClient api, WeChatAccessTokens tokens, IOutreachPreferences preferences, ILogger<WeChatSender> logger)
    : IChannelSender
{
    public const string WindowClosed = "the 48-hour window for customer-service messages is closed";

    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (string.IsNullOrWhiteSpace(message.Text))
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no text");
            return DeliveryResult.Permanent("WeChat carries text only here; this message has none");
        }

        var request = WeChatMapper.ToCustomMessage(message);
        var token = await tokens.GetAsync(cancellationToken);
        if (token is null)
        {
            return Transient(message, "no WeChat access_token yet");
        }

        var result = await api.SendCustomMessageAsync(token, request, cancellationToken);
        if (result.TokenInvalid)
        {
            token = await tokens.RefreshAsync(token, cancellationToken);
            if (token is null)
            {
                return Transient(message, "the WeChat access_token expired and could not be renewed");
            }

            result = await api.SendCustomMessageAsync(token, request, cancellationToken);
        }

        cancellationToken.ThrowIfCancellationRequested();
        switch (result)
        {
            case { Unreachable: true }:
                return Transient(message, result.ErrMsg ?? "could not reach WeChat");
            case { ErrCode: 0 }:
                Log.Sent(logger, message.MessageId);
                return DeliveryResult.Sent();
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
                return Permanent(message, result.ErrCode, $"WeChat refused the message: {result.ErrCode} {WeChatMapper.ErrorText(result.ErrMsg)}");
        }
    }

    private DeliveryResult Transient(OutboundMessage message, string reason)
    {
        Log.SendFailedTransient(logger, message.MessageId, reason);
        return DeliveryResult.Transient(reason);
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

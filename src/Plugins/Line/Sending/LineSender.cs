using System.Net;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Line.Api;

using Microsoft.Extensions.Logging;

using Refit;

namespace ChatGateway.Plugins.Line.Sending;

/// <summary>
/// Makes one send attempt per call and judges the answer; the gateway retries transient failures. An answer that came
/// with a reply token goes through the reply API (free, and shown as the answer); without one, or when LINE refuses the
/// token (used, expired), it is pushed in the same attempt, with the gateway's message id as <c>X-Line-Retry-Key</c>.
/// </summary>
internal sealed class LineSender(ILineApi api, ILogger<LineSender> logger, TimeProvider time) : IChannelSender
{
    /// <summary>The header of LINE's 409: the request id of the push that already took this retry key.</summary>
    public const string AcceptedRequestIdHeader = "x-line-accepted-request-id";

    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Attachments is { Count: > 0 })
        {
            // LINE takes a picture only as a public https address to fetch; this plugin publishes none (see README).
            Log.SendRejectedLocally(logger, message.MessageId, "files");
            return DeliveryResult.Permanent("this LINE channel does not send files (LINE fetches them from a public https address the plugin does not publish); send the words alone, or the file on another channel");
        }

        if (string.IsNullOrWhiteSpace(message.Text))
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no text");
            return DeliveryResult.Permanent("LINE needs text; this message has none");
        }

        if (LineMapper.ToTextMessages(message.Text) is not { } messages)
        {
            Log.SendRejectedLocally(logger, message.MessageId, "too long");
            return DeliveryResult.Permanent($"too long for LINE ({message.Text.Length} characters; at most {LineMapper.MaxMessagesPerRequest} messages of {LineMapper.MaxTextLength})");
        }

        if (message.ReplyContext is { } replyToken)
        {
            var replied = await CallAsync(message, "reply", ct => api.ReplyAsync(new LineReplyRequest { ReplyToken = replyToken, Messages = messages }, ct), cancellationToken);
            if (replied is not null)
            {
                return replied;
            }

            // Refused token: the answer still goes out, pushed.
            Log.ReplyTokenRefused(logger, message.MessageId);
        }

        var request = new LinePushRequest { To = message.Recipient.ExternalId, Messages = messages };
        return (await CallAsync(message, "push", ct => api.PushAsync(request, message.MessageId.ToString("D"), ct), cancellationToken))!;
    }

    /// <summary>The outcome of one call; null only for a reply whose token LINE refused (the caller pushes then).</summary>
    private async Task<DeliveryResult?> CallAsync(
        OutboundMessage message, string how, Func<CancellationToken, Task<IApiResponse<LineSentMessages>>> call, CancellationToken cancellationToken)
    {
        IApiResponse<LineSentMessages> response;
        try
        {
            response = await call(cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiRequestException or TimeoutException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return Transient(message, "could not reach LINE");
        }

        using (response)
        {
            // Refit reports a network failure (connection refused, reset, timeout) in the response, not as an exception.
            if (response.HasRequestError(out var requestError))
            {
                cancellationToken.ThrowIfCancellationRequested();
                return Transient(message, requestError.InnerException is HttpRequestException { HttpRequestError: var networkError }
                    ? $"could not reach LINE ({networkError})"
                    : "LINE did not answer in time");
            }

            if (response.StatusCode is not { } status)
            {
                return Transient(message, "LINE did not answer");
            }

            if (response.IsSuccessStatusCode)
            {
                var id = response.Content?.SentMessages?.FirstOrDefault()?.Id;
                Log.Sent(logger, message.MessageId, how, id);
                return DeliveryResult.Sent(id);
            }

            var error = LineError.Describe(response.Error is ApiException apiException ? apiException.Content : null);
            if (how == "reply" && status == HttpStatusCode.BadRequest && error?.Contains("reply token", StringComparison.OrdinalIgnoreCase) == true)
            {
                return null;
            }

            // The retry key was taken by an earlier attempt whose answer was lost: that attempt sent it.
            if (how == "push" && status == HttpStatusCode.Conflict && response.Headers?.TryGetValues(AcceptedRequestIdHeader, out var accepted) == true)
            {
                var requestId = accepted!.FirstOrDefault();
                Log.SentEarlier(logger, message.MessageId, requestId);
                return DeliveryResult.Sent(requestId);
            }

            // LINE's message names the problem, never the text; dropped all the same if it quotes the text or the recipient.
            if (error is not null && (error.Contains(message.Recipient.ExternalId, StringComparison.Ordinal)
                || (message.Text.Length >= 4 && error.Contains(message.Text, StringComparison.Ordinal))))
            {
                error = null;
            }

            var reason = $"LINE answered {(int)status} to the {how}{(error is null ? "" : $": {error}")}";
            if (status == HttpStatusCode.TooManyRequests || status == HttpStatusCode.RequestTimeout || (int)status >= 500)
            {
                // LINE's rate limits answer 429; a Retry-After (from LINE or a proxy in front) is the least delivery waits.
                return Transient(message, reason, RetryAfter(response.Headers?.RetryAfter));
            }

            Log.SendFailedPermanent(logger, message.MessageId, how, (int)status);
            return DeliveryResult.Permanent(reason);
        }
    }

    private DeliveryResult Transient(OutboundMessage message, string reason, TimeSpan? retryAfter = null)
    {
        Log.SendFailedTransient(logger, message.MessageId, reason);
        return retryAfter is { } wait ? DeliveryResult.Transient(reason, wait) : DeliveryResult.Transient(reason);
    }

    private TimeSpan? RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header)
    {
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        return wait > TimeSpan.Zero ? wait : null;
    }
}

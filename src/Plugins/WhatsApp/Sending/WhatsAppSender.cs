using System.Net;
using System.Text.Json;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Logging;

using Refit;

namespace ChatGateway.Plugins.WhatsApp.Sending;

/// <summary>Makes one send attempt per call and judges the answer; the gateway retries transient failures.</summary>
internal sealed class WhatsAppSender(IWhatsAppApi api, ILogger<WhatsAppSender> logger) : IChannelSender
{
    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (string.IsNullOrWhiteSpace(message.Text))
        {
            Log.SendRejectedLocally(logger, message.MessageId, "no text");
            return DeliveryResult.Permanent("WhatsApp carries text only; this message has none");
        }

        var request = WhatsAppMapper.ToSendRequest(message);
        IApiResponse<WhatsAppMessageResult> response;
        try
        {
            // The gateway's message id is the idempotency key: every attempt of one message carries the same.
            response = await api.SendMessageAsync(request, message.MessageId.ToString("D"), cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiRequestException or TimeoutException
            || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return Transient(message, "could not reach WhatsApp");
        }

        using (response)
        {
            // Refit reports a network failure (connection refused, reset, timeout) in the response, not as an exception.
            if (response.HasRequestError(out var requestError))
            {
                cancellationToken.ThrowIfCancellationRequested();
                return Transient(message, requestError.InnerException is HttpRequestException { HttpRequestError: var error }
                    ? $"could not reach WhatsApp ({error})"
                    : "WhatsApp did not answer in time");
            }

            if (response.StatusCode is not { } status)
            {
                return Transient(message, "WhatsApp did not answer");
            }

            if (response.IsSuccessStatusCode)
            {
                Log.Sent(logger, message.MessageId, response.Content?.Id);
                return DeliveryResult.Sent(response.Content?.Id);
            }

            var code = ErrorCode(response.Error is ApiException apiException ? apiException.Content : null);
            if (status == HttpStatusCode.TooManyRequests || status == HttpStatusCode.RequestTimeout || (int)status >= 500)
            {
                return Transient(message, $"WhatsApp answered {(int)status}{(code is null ? "" : $" ({code})")}");
            }

            // Only the status and the provider's error code: its message may quote the text or the recipient.
            Log.SendFailedPermanent(logger, message.MessageId, (int)status, code);
            return DeliveryResult.Permanent($"WhatsApp refused the message: {(int)status}{(code is null ? "" : $" {code}")}");
        }
    }

    private DeliveryResult Transient(OutboundMessage message, string reason)
    {
        Log.SendFailedTransient(logger, message.MessageId, reason);
        return DeliveryResult.Transient(reason);
    }

    /// <summary>The <c>error.code</c> of the provider's error body <c>{"error":{"code":"...","message":"..."}}</c>, if any.</summary>
    internal static string? ErrorCode(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            return document.RootElement is { ValueKind: JsonValueKind.Object } root
                && root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

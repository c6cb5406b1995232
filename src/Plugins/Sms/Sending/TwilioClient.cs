using System.Net.Http;
using System.Text.Json;

using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.Sms.Sending;

/// <summary>Calls Twilio's Messages API and turns every answer, or the lack of one, into a <see cref="TwilioSendResult"/>.</summary>
internal sealed class TwilioClient(ITwilioApi api, IOptionsMonitor<SmsOptions> options, TimeProvider time)
{
    public async Task<TwilioSendResult> CreateMessageAsync(
        IEnumerable<KeyValuePair<string, string>> form, string idempotencyToken, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        IApiResponse<TwilioMessageResource> response;
        try
        {
            using var content = new FormUrlEncodedContent(form);
            response = await api.CreateMessageAsync(settings.AccountSid, content, idempotencyToken, cancellationToken);
        }
        catch (Exception ex) when (IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            return TwilioSendResult.Unreachable(DescribeTransport(ex, settings.RequestTimeout));
        }

        using (response)
        {
            if (response.HasRequestError(out var requestError))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    throw new OperationCanceledException(cancellationToken);
                }

                return TwilioSendResult.Unreachable(DescribeTransport(requestError, settings.RequestTimeout));
            }

            if (response.StatusCode is not { } statusCode)
            {
                return TwilioSendResult.Unreachable("Twilio did not answer");
            }

            var status = (int)statusCode;
            if (response.IsSuccessStatusCode)
            {
                // A 2xx without a readable sid still means Twilio took the message: never resend it.
                return TwilioSendResult.Accepted(status, response.Content?.Sid);
            }

            var content = response.Error is ApiException apiException ? apiException.Content : null;
            return TwilioSendResult.Rejected(status, ParseError(content), status is 429 or 503 ? RetryAfter(response.Headers?.RetryAfter) : null);
        }
    }

    internal static TwilioError? ParseError(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            int? code = null;
            if (document.RootElement.TryGetProperty("code", out var codeElement))
            {
                if (codeElement.ValueKind == JsonValueKind.Number && codeElement.TryGetInt32(out var number))
                {
                    code = number;
                }
                else if (codeElement.ValueKind == JsonValueKind.String && int.TryParse(codeElement.GetString(), out number))
                {
                    code = number;
                }
            }

            string? message = document.RootElement.TryGetProperty("message", out var messageElement)
                && messageElement.ValueKind == JsonValueKind.String
                ? messageElement.GetString()
                : null;

            return code is null && string.IsNullOrWhiteSpace(message) ? null : new TwilioError(code, message);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Twilio's <c>Retry-After</c> (seconds, or a date): delivery waits at least that long before the next attempt.</summary>
    private TimeSpan? RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header)
    {
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        return wait > TimeSpan.Zero ? wait : null;
    }

    private static bool IsTransport(Exception ex) =>
        ex is ApiRequestException or HttpRequestException or OperationCanceledException or TimeoutException;

    private static string DescribeTransport(Exception ex, TimeSpan timeout)
    {
        var cause = ex is ApiRequestException { InnerException: { } inner } ? inner : ex;
        return cause switch
        {
            OperationCanceledException or TimeoutException =>
                $"Twilio did not answer within {timeout.TotalSeconds:0.###} s",
            HttpRequestException { HttpRequestError: var error } => $"could not reach Twilio ({error})",
            _ => "could not reach Twilio",
        };
    }
}

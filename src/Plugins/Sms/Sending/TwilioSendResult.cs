namespace ChatGateway.Plugins.Sms.Sending;

/// <summary>What one call to create a message came to, before it is judged as a delivery outcome.</summary>
/// <param name="StatusCode">The HTTP status Twilio answered with; null when no answer arrived.</param>
/// <param name="Sid">The message sid from a 2xx answer.</param>
/// <param name="Error">Twilio's error body from a non-2xx answer, when it had one.</param>
/// <param name="TransportError">Why no answer arrived (timeout, connection refused).</param>
/// <param name="RetryAfter">The wait a 429 or 503 asked for in its <c>Retry-After</c> header.</param>
internal sealed record TwilioSendResult(int? StatusCode, string? Sid = null, TwilioError? Error = null, string? TransportError = null, TimeSpan? RetryAfter = null)
{
    public static TwilioSendResult Accepted(int statusCode, string? sid) => new(statusCode, Sid: sid);

    public static TwilioSendResult Rejected(int statusCode, TwilioError? error, TimeSpan? retryAfter = null) => new(statusCode, Error: error, RetryAfter: retryAfter);

    public static TwilioSendResult Unreachable(string reason) => new(null, TransportError: reason);

    public bool IsAccepted => StatusCode is >= 200 and < 300;
}

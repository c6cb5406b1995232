using System.Text.Json.Serialization;

using Refit;

namespace ChatGateway.Plugins.Sms.Sending;

/// <summary>The part of Twilio's REST API the channel uses.</summary>
internal interface ITwilioApi
{
    /// <summary>
    /// Creates (sends) a message. Form fields: <c>To</c>, <c>From</c>, <c>Body</c>, <c>MediaUrl</c> once per file, optional
    /// <c>StatusCallback</c>; a <see cref="FormUrlEncodedContent"/>, since a field repeats. <paramref name="idempotencyToken"/>
    /// is the same on every attempt to send one message (see <see cref="TwilioMapper.IdempotencyToken"/>).
    /// </summary>
    [Post("/2010-04-01/Accounts/{accountSid}/Messages.json")]
    Task<IApiResponse<TwilioMessageResource>> CreateMessageAsync(
        string accountSid,
        [Body] HttpContent form,
        [Header("I-Twilio-Idempotency-Token")] string idempotencyToken,
        CancellationToken cancellationToken);
}

/// <summary>The fields of Twilio's Message resource that the channel reads.</summary>
internal sealed record TwilioMessageResource
{
    [JsonPropertyName("sid")]
    public string? Sid { get; init; }

    [JsonPropertyName("status")]
    public string? Status { get; init; }
}

/// <summary>Twilio's error body: <c>{"code":21211,"message":"...","more_info":"...","status":400}</c>.</summary>
internal sealed record TwilioError(int? Code, string? Message);

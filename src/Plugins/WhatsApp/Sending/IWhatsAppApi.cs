using System.Text.Json.Serialization;

using Refit;

namespace ChatGateway.Plugins.WhatsApp.Sending;

/// <summary>The part of WhatsApp's REST API the channel uses.</summary>
internal interface IWhatsAppApi
{
    /// <summary>
    /// Sends a message. The provider keeps the <c>Idempotency-Key</c> for a day and answers a repeated one with the first
    /// answer, so a retry after a lost answer never reaches the customer twice. Network failures do not throw: the
    /// response's <see cref="IApiResponse.Error"/> is an <see cref="ApiRequestException"/> holding them.
    /// </summary>
    [Post("/v1/messages")]
    Task<IApiResponse<WhatsAppMessageResult>> SendMessageAsync(
        [Body] WhatsAppSendRequest request,
        [Header("Idempotency-Key")] string idempotencyKey,
        CancellationToken cancellationToken);
}

/// <summary>The body of <c>POST /v1/messages</c>.</summary>
internal sealed record WhatsAppSendRequest
{
    [JsonPropertyName("to")]
    public required string To { get; init; }

    [JsonPropertyName("text")]
    public required string Text { get; init; }
}

/// <summary>The answer to a send: the provider's message id.</summary>
internal sealed record WhatsAppMessageResult
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

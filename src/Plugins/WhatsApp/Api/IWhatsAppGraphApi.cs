using System.Text.Json.Serialization;

using Refit;

namespace ChatGateway.Plugins.WhatsApp.Api;

/// <summary>
/// The part of the Graph API (WhatsApp Cloud API) the channel uses; every call carries the access token as Bearer (added
/// by <see cref="WhatsAppAuthorizationHandler"/>). Network failures do not throw: the response's
/// <see cref="IApiResponse.Error"/> is an <see cref="ApiRequestException"/> holding them.
/// </summary>
internal interface IWhatsAppGraphApi
{
    /// <summary>Sends a message from the business number; Graph takes no idempotency key.</summary>
    [Post("/{version}/{phoneNumberId}/messages")]
    Task<IApiResponse<GraphSendResult>> SendMessageAsync(
        string version, string phoneNumberId, [Body] GraphMessageRequest request, CancellationToken cancellationToken);

    /// <summary>Uploads a file (multipart: <c>messaging_product</c>, <c>type</c>, <c>file</c>) for a message to send by its media id.</summary>
    [Multipart]
    [Post("/{version}/{phoneNumberId}/media")]
    Task<IApiResponse<GraphIdResult>> UploadMediaAsync(
        string version,
        string phoneNumberId,
        [AliasAs("messaging_product")] string messagingProduct,
        [AliasAs("type")] string type,
        [AliasAs("file")] StreamPart file,
        CancellationToken cancellationToken);

    /// <summary>A customer's media: its short-lived download URL (fetched with the token too) and its type.</summary>
    [Get("/{version}/{mediaId}")]
    Task<IApiResponse<GraphMediaInfo>> GetMediaAsync(string version, string mediaId, CancellationToken cancellationToken);
}

/// <summary>The body of <c>POST /{version}/{phone-number-id}/messages</c>: one of text, image, document or template.</summary>
internal sealed record GraphMessageRequest
{
    [JsonPropertyName("messaging_product")]
    public string MessagingProduct { get; init; } = "whatsapp";

    [JsonPropertyName("recipient_type")]
    public string RecipientType { get; init; } = "individual";

    [JsonPropertyName("to")]
    public required string To { get; init; }

    [JsonPropertyName("type")]
    public required string Type { get; init; }

    [JsonPropertyName("text")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GraphText? Text { get; init; }

    [JsonPropertyName("image")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GraphMediaMessage? Image { get; init; }

    [JsonPropertyName("document")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GraphMediaMessage? Document { get; init; }

    [JsonPropertyName("template")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GraphTemplate? Template { get; init; }
}

internal sealed record GraphText([property: JsonPropertyName("body")] string Body);

/// <summary>An uploaded file by its media id; a document keeps its file name.</summary>
internal sealed record GraphMediaMessage
{
    [JsonPropertyName("id")]
    public required string Id { get; init; }

    [JsonPropertyName("caption")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Caption { get; init; }

    [JsonPropertyName("filename")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? FileName { get; init; }
}

/// <summary>An approved template by name and language, its body's variables as text parameters.</summary>
internal sealed record GraphTemplate
{
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    [JsonPropertyName("language")]
    public required GraphLanguage Language { get; init; }

    [JsonPropertyName("components")]
    public IReadOnlyList<GraphTemplateComponent> Components { get; init; } = [];
}

internal sealed record GraphLanguage([property: JsonPropertyName("code")] string Code);

internal sealed record GraphTemplateComponent
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "body";

    [JsonPropertyName("parameters")]
    public required IReadOnlyList<GraphTemplateParameter> Parameters { get; init; }
}

internal sealed record GraphTemplateParameter
{
    [JsonPropertyName("type")]
    public string Type { get; init; } = "text";

    [JsonPropertyName("text")]
    public required string Text { get; init; }
}

/// <summary>A send's answer: <c>{"messaging_product","contacts":[…],"messages":[{"id":"wamid.…"}]}</c>.</summary>
internal sealed record GraphSendResult
{
    [JsonPropertyName("messages")]
    public IReadOnlyList<GraphIdResult>? Messages { get; init; }
}

/// <summary>An upload's answer, <c>{"id"}</c>, or one of a send's messages.</summary>
internal sealed record GraphIdResult
{
    [JsonPropertyName("id")]
    public string? Id { get; init; }
}

/// <summary>A media lookup's answer: <c>{"url","mime_type","sha256","file_size","id","messaging_product"}</c>.</summary>
internal sealed record GraphMediaInfo
{
    [JsonPropertyName("url")]
    public string? Url { get; init; }

    [JsonPropertyName("mime_type")]
    public string? MimeType { get; init; }
}

using System.Text.Json;
using System.Text.Json.Serialization;

using Refit;

namespace ChatGateway.Plugins.Telegram.Api;

/// <summary>
/// The Bot API methods the channel calls, relative to <c>{ApiBaseAddress}/bot{token}/</c>: the token sits in the HTTP
/// client's base address (see the registration), so it is never escaped and never a parameter here. Network failures do
/// not throw: the response's <see cref="IApiResponse.Error"/> holds them.
/// </summary>
internal interface ITelegramBotApi
{
    [Post("/getMe")]
    Task<IApiResponse<TelegramResponse<JsonElement>>> GetMeAsync(CancellationToken cancellationToken);

    [Post("/setWebhook")]
    Task<IApiResponse<TelegramResponse<bool>>> SetWebhookAsync([Body] TelegramSetWebhookRequest request, CancellationToken cancellationToken);

    [Post("/deleteWebhook")]
    Task<IApiResponse<TelegramResponse<bool>>> DeleteWebhookAsync(CancellationToken cancellationToken);

    /// <summary>Updates from <c>offset</c> on, waiting up to <c>timeout</c> seconds for one (long polling).</summary>
    [Post("/getUpdates")]
    Task<IApiResponse<TelegramResponse<List<JsonElement>>>> GetUpdatesAsync([Body] TelegramGetUpdatesRequest request, CancellationToken cancellationToken);

    [Post("/sendMessage")]
    Task<IApiResponse<TelegramResponse<TelegramSentMessage>>> SendMessageAsync([Body] TelegramSendMessageRequest request, CancellationToken cancellationToken);

    /// <summary>Uploads a picture (JPEG, PNG, WebP) as a photo; <paramref name="caption"/> null sends none.</summary>
    [Multipart]
    [Post("/sendPhoto")]
    Task<IApiResponse<TelegramResponse<TelegramSentMessage>>> SendPhotoAsync(
        [AliasAs("chat_id")] string chatId, [AliasAs("photo")] StreamPart photo, [AliasAs("caption")] string? caption, CancellationToken cancellationToken);

    /// <summary>Uploads any file as a document; <paramref name="caption"/> null sends none.</summary>
    [Multipart]
    [Post("/sendDocument")]
    Task<IApiResponse<TelegramResponse<TelegramSentMessage>>> SendDocumentAsync(
        [AliasAs("chat_id")] string chatId, [AliasAs("document")] StreamPart document, [AliasAs("caption")] string? caption, CancellationToken cancellationToken);

    /// <summary>Where a file a customer sent can be downloaded (up to 20 MB), by its <c>file_id</c>.</summary>
    [Post("/getFile")]
    Task<IApiResponse<TelegramResponse<TelegramFileInfo>>> GetFileAsync([Body] TelegramGetFileRequest request, CancellationToken cancellationToken);
}

/// <summary>
/// File downloads, relative to <c>{ApiBaseAddress}/file/bot{token}/</c> (the token in the base address again). The body
/// is streamed: the caller disposes the response.
/// </summary>
internal interface ITelegramFileApi
{
    [Get("/{**filePath}")]
    Task<IApiResponse<Stream>> DownloadAsync(string filePath, CancellationToken cancellationToken);
}

/// <summary>Telegram's answer: <c>{"ok":true,"result":…}</c> or <c>{"ok":false,"error_code","description","parameters"}</c>.</summary>
internal sealed record TelegramResponse<T>
{
    [JsonPropertyName("ok")]
    public bool Ok { get; init; }

    [JsonPropertyName("result")]
    public T? Result { get; init; }

    [JsonPropertyName("error_code")]
    public int? ErrorCode { get; init; }

    [JsonPropertyName("description")]
    public string? Description { get; init; }

    [JsonPropertyName("parameters")]
    public TelegramResponseParameters? Parameters { get; init; }
}

/// <summary>Why a call failed, beyond the description: <c>retry_after</c> seconds on a 429.</summary>
internal sealed record TelegramResponseParameters
{
    [JsonPropertyName("retry_after")]
    public int? RetryAfter { get; init; }
}

internal sealed record TelegramSetWebhookRequest
{
    [JsonPropertyName("url")]
    public required string Url { get; init; }

    [JsonPropertyName("secret_token")]
    public required string SecretToken { get; init; }

    [JsonPropertyName("allowed_updates")]
    public required IReadOnlyList<string> AllowedUpdates { get; init; }
}

internal sealed record TelegramGetUpdatesRequest
{
    [JsonPropertyName("offset")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public long? Offset { get; init; }

    [JsonPropertyName("timeout")]
    public int Timeout { get; init; }

    [JsonPropertyName("allowed_updates")]
    public required IReadOnlyList<string> AllowedUpdates { get; init; }
}

internal sealed record TelegramSendMessageRequest
{
    [JsonPropertyName("chat_id")]
    public required string ChatId { get; init; }

    [JsonPropertyName("text")]
    public required string Text { get; init; }

    [JsonPropertyName("reply_markup")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public TelegramReplyKeyboard? ReplyMarkup { get; init; }
}

/// <summary>A reply keyboard: rows of buttons whose text the customer's tap sends as their message.</summary>
internal sealed record TelegramReplyKeyboard
{
    [JsonPropertyName("keyboard")]
    public required IReadOnlyList<IReadOnlyList<TelegramKeyboardButton>> Keyboard { get; init; }

    [JsonPropertyName("one_time_keyboard")]
    public bool OneTimeKeyboard { get; init; }

    [JsonPropertyName("resize_keyboard")]
    public bool ResizeKeyboard { get; init; }
}

internal sealed record TelegramKeyboardButton
{
    [JsonPropertyName("text")]
    public required string Text { get; init; }
}

internal sealed record TelegramGetFileRequest
{
    [JsonPropertyName("file_id")]
    public required string FileId { get; init; }
}

/// <summary>A sent Message, as far as the channel reads it: its id and chat.</summary>
internal sealed record TelegramSentMessage
{
    [JsonPropertyName("message_id")]
    public long MessageId { get; init; }

    [JsonPropertyName("chat")]
    public TelegramChatRef? Chat { get; init; }
}

internal sealed record TelegramChatRef
{
    [JsonPropertyName("id")]
    public long Id { get; init; }
}

/// <summary>getFile's File: where to download it (valid for an hour at least) and its size.</summary>
internal sealed record TelegramFileInfo
{
    [JsonPropertyName("file_path")]
    public string? FilePath { get; init; }

    [JsonPropertyName("file_size")]
    public long? FileSize { get; init; }
}

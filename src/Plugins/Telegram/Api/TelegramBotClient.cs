using System.Net.Http.Headers;
using System.Text.Json;

using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.Telegram.Api;

/// <summary>
/// How one Bot API call ended: Telegram's <c>{"ok":true,"result":…}</c>, its <c>{"ok":false,"error_code","description",
/// "parameters":{"retry_after"}}</c>, or no answer at all (<see cref="Status"/> 0 and <see cref="Unreachable"/>).
/// <see cref="RetryAfter"/> is Telegram's <c>retry_after</c>, else an HTTP <c>Retry-After</c> header on a 429 or 503.
/// </summary>
internal sealed record TelegramCallResult<T>(int Status, bool Ok, T? Result, string? Description, TimeSpan? RetryAfter, string? Unreachable)
{
    public bool Transient => Status is 0 or 408 or 429 or >= 500;
}

/// <summary>A file being downloaded: its body (read under the caller's time limit) and what the server says it is.</summary>
internal sealed class TelegramDownload(IApiResponse<Stream> response, Stream content) : IDisposable
{
    public Stream Content => content;

    public string? ContentType => response.ContentHeaders?.ContentType?.MediaType;

    public void Dispose()
    {
        content.Dispose();
        response.Dispose();
    }
}

/// <summary>
/// The Bot API through its Refit interfaces (<see cref="ITelegramBotApi"/>, <see cref="ITelegramFileApi"/>): each call
/// under its own time limit, each answer judged the same way. The token sits in the HTTP client's base address: the
/// client's logging is removed (see the registration) and no URL or exception text leaves this class.
/// </summary>
internal sealed class TelegramBotClient(ITelegramBotApi api, ITelegramFileApi files, IOptionsMonitor<TelegramOptions> options, TimeProvider time)
{
    /// <summary>
    /// The updates asked for (setWebhook, getUpdates): messages and edits, the kinds of update a user sends that are shown
    /// as unsupported, and <c>my_chat_member</c> (the user blocked or unblocked the bot).
    /// </summary>
    public static readonly IReadOnlyList<string> AllowedUpdates =
    [
        "message", "edited_message", "business_message", "edited_business_message", "callback_query", "inline_query",
        "chosen_inline_result", "shipping_query", "pre_checkout_query", "poll_answer", "chat_join_request", "my_chat_member",
    ];

    public Task<TelegramCallResult<JsonElement>> GetMeAsync(CancellationToken cancellationToken) =>
        CallAsync(api.GetMeAsync, null, cancellationToken);

    public Task<TelegramCallResult<bool>> SetWebhookAsync(string url, string secretToken, CancellationToken cancellationToken) =>
        CallAsync(ct => api.SetWebhookAsync(new TelegramSetWebhookRequest { Url = url, SecretToken = secretToken, AllowedUpdates = AllowedUpdates }, ct), null, cancellationToken);

    public Task<TelegramCallResult<bool>> DeleteWebhookAsync(CancellationToken cancellationToken) =>
        CallAsync(api.DeleteWebhookAsync, null, cancellationToken);

    /// <summary>One long poll: it may take <see cref="TelegramOptions.PollTimeout"/> before the usual limit starts.</summary>
    public Task<TelegramCallResult<List<JsonElement>>> GetUpdatesAsync(long? offset, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var request = new TelegramGetUpdatesRequest { Offset = offset, Timeout = (int)settings.PollTimeout.TotalSeconds, AllowedUpdates = AllowedUpdates };
        return CallAsync(ct => api.GetUpdatesAsync(request, ct), settings.PollTimeout + settings.RequestTimeout, cancellationToken);
    }

    public Task<TelegramCallResult<TelegramSentMessage>> SendMessageAsync(TelegramSendMessageRequest request, CancellationToken cancellationToken) =>
        CallAsync(ct => api.SendMessageAsync(request, ct), null, cancellationToken);

    /// <summary>Uploads a file by <c>sendPhoto</c> (<paramref name="photo"/>) or <c>sendDocument</c>.</summary>
    public Task<TelegramCallResult<TelegramSentMessage>> SendFileAsync(
        string chatId, bool photo, Stream content, string fileName, string contentType, string? caption, CancellationToken cancellationToken)
    {
        var part = new StreamPart(content, fileName, contentType);
        return CallAsync(
            ct => photo ? api.SendPhotoAsync(chatId, part, caption, ct) : api.SendDocumentAsync(chatId, part, caption, ct), null, cancellationToken);
    }

    public Task<TelegramCallResult<TelegramFileInfo>> GetFileAsync(string fileId, CancellationToken cancellationToken) =>
        CallAsync(ct => api.GetFileAsync(new TelegramGetFileRequest { FileId = fileId }, ct), null, cancellationToken);

    /// <summary>
    /// Downloads a file Telegram keeps (<c>getFile</c>'s <c>file_path</c>), headers read; or the failed call. The caller
    /// disposes the download and reads the body under its own time limit (<paramref name="cancellationToken"/>).
    /// </summary>
    public async Task<(TelegramDownload? Download, TelegramCallResult<bool>? Failure)> DownloadAsync(string filePath, CancellationToken cancellationToken)
    {
        IApiResponse<Stream> response;
        try
        {
            response = await files.DownloadAsync(filePath, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiRequestException)
        {
            return (null, Unreachable<bool>(ex));
        }

        if (response.IsSuccessStatusCode && response.Content is { } content)
        {
            return (new TelegramDownload(response, content), null);
        }

        using (response)
        {
            if (response.HasRequestError(out var requestError))
            {
                cancellationToken.ThrowIfCancellationRequested();
                return (null, Unreachable<bool>(requestError));
            }

            return (null, Failed<bool>(response));
        }
    }

    private async Task<TelegramCallResult<T>> CallAsync<T>(
        Func<CancellationToken, Task<IApiResponse<TelegramResponse<T>>>> call, TimeSpan? limit, CancellationToken cancellationToken)
    {
        var wait = limit ?? options.CurrentValue.RequestTimeout;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(wait);
        IApiResponse<TelegramResponse<T>> response;
        try
        {
            response = await call(timeout.Token);
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiRequestException)
        {
            return Unreachable<T>(ex);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return NoAnswer<T>(wait);
        }

        using (response)
        {
            // Refit reports a network failure or a time-out in the response, not as an exception.
            if (response.HasRequestError(out var requestError))
            {
                cancellationToken.ThrowIfCancellationRequested();
                return timeout.IsCancellationRequested ? NoAnswer<T>(wait) : Unreachable<T>(requestError);
            }

            if (response.IsSuccessStatusCode && response.Content is { Ok: true } body)
            {
                return new TelegramCallResult<T>((int?)response.StatusCode ?? 200, true, body.Result, null, null, null);
            }

            return Failed<T>(response);
        }
    }

    /// <summary>A call Telegram answered with an error (or with something not its JSON: a proxy's page, where the status alone tells).</summary>
    private TelegramCallResult<T> Failed<T>(IApiResponse response)
    {
        var status = (int?)response.StatusCode ?? 0;
        TelegramResponse<JsonElement>? error = null;
        if (response.Error is ApiException { Content: { Length: > 0 } content })
        {
            try
            {
                error = JsonSerializer.Deserialize<TelegramResponse<JsonElement>>(content);
            }
            catch (JsonException)
            {
            }
        }

        return new TelegramCallResult<T>(status, false, default, error?.Description, RetryAfterOf(status, error, response.Headers), null);
    }

    private TimeSpan? RetryAfterOf(int status, TelegramResponse<JsonElement>? error, HttpResponseHeaders? headers)
    {
        if (error?.Parameters?.RetryAfter is > 0 and var seconds)
        {
            return TimeSpan.FromSeconds(seconds);
        }

        if (status is 429 or 503 && headers?.RetryAfter is { } header)
        {
            var wait = header.Delta ?? (header.Date is { } date ? date - time.GetUtcNow() : null);
            return wait > TimeSpan.Zero ? wait : null;
        }

        return null;
    }

    // The exception's own text can hold the URL, hence the token: only the kind of network error is kept.
    private static TelegramCallResult<T> Unreachable<T>(Exception exception)
    {
        var network = exception as HttpRequestException ?? exception.InnerException as HttpRequestException;
        return new TelegramCallResult<T>(0, false, default, null, null,
            network is null ? "could not reach Telegram" : $"could not reach Telegram ({network.HttpRequestError})");
    }

    private static TelegramCallResult<T> NoAnswer<T>(TimeSpan wait) =>
        new(0, false, default, null, null, $"Telegram did not answer within {wait.TotalSeconds:0.###} s");
}

using System.Net.Http.Json;
using System.Text.Json;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Telegram.Api;

/// <summary>
/// How one Bot API call ended: Telegram's <c>{"ok":true,"result":…}</c>, its <c>{"ok":false,"error_code","description",
/// "parameters":{"retry_after"}}</c>, or no answer at all (<see cref="Status"/> 0 and <see cref="Unreachable"/>).
/// </summary>
internal sealed record TelegramCallResult(int Status, bool Ok, JsonElement Result, string? Description, int? RetryAfter, string? Unreachable)
{
    public bool Transient => Status is 0 or 408 or 429 or >= 500;
}

/// <summary>
/// The part of Telegram's Bot API the channel uses: <c>POST {ApiBaseAddress}/bot{token}/{method}</c> (JSON or
/// multipart) and file downloads from <c>{ApiBaseAddress}/file/bot{token}/{file_path}</c>. The token sits in the URL's
/// path: the HTTP client's logging is removed (see the registration) and no URL or exception text leaves this class.
/// </summary>
internal sealed class TelegramBotClient(IHttpClientFactory httpClientFactory, IOptionsMonitor<TelegramOptions> options)
{
    public const string HttpClientName = "ChatGateway.Plugins.Telegram.BotApi";

    /// <summary>Calls a method with a JSON body.</summary>
    public Task<TelegramCallResult> CallAsync(string method, object parameters, CancellationToken cancellationToken, TimeSpan? timeout = null) =>
        SendAsync(method, JsonContent.Create(parameters), cancellationToken, timeout);

    /// <summary>Calls a method with a multipart body (a file upload).</summary>
    public Task<TelegramCallResult> CallAsync(string method, MultipartFormDataContent content, CancellationToken cancellationToken) =>
        SendAsync(method, content, cancellationToken);

    /// <summary>
    /// Downloads a file Telegram keeps (<c>getFile</c>'s <c>file_path</c>), headers read; or the failed call. The caller
    /// disposes the response; the body is read under the caller's own time limit.
    /// </summary>
    public async Task<(HttpResponseMessage? Response, TelegramCallResult? Failure)> DownloadAsync(string filePath, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var escaped = string.Join('/', filePath.Split('/').Select(Uri.EscapeDataString));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{settings.ApiBaseAddress.TrimEnd('/')}/file/bot{settings.BotToken}/{escaped}");
        HttpResponseMessage response;
        try
        {
            response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return (null, Unreachable($"could not reach Telegram ({ex.HttpRequestError})"));
        }

        if (response.IsSuccessStatusCode)
        {
            return (response, null);
        }

        using (response)
        {
            return (null, await ReadAsync(response, cancellationToken));
        }
    }

    private async Task<TelegramCallResult> SendAsync(string method, HttpContent content, CancellationToken cancellationToken, TimeSpan? limit = null)
    {
        var settings = options.CurrentValue;
        using var request = new HttpRequestMessage(HttpMethod.Post, $"{settings.ApiBaseAddress.TrimEnd('/')}/bot{settings.BotToken}/{method}") { Content = content };
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(limit ?? settings.RequestTimeout);
        try
        {
            using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, timeout.Token);
            return await ReadAsync(response, timeout.Token);
        }
        catch (HttpRequestException ex)
        {
            return Unreachable($"could not reach Telegram ({ex.HttpRequestError})");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Unreachable($"Telegram did not answer within {(limit ?? settings.RequestTimeout).TotalSeconds:0.###} s");
        }
    }

    private static TelegramCallResult Unreachable(string reason) => new(0, false, default, null, null, reason);

    private static async Task<TelegramCallResult> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        try
        {
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return new TelegramCallResult(status, false, default, null, null, null);
            }

            var ok = root.TryGetProperty("ok", out var okValue) && okValue.ValueKind == JsonValueKind.True && response.IsSuccessStatusCode;
            var result = root.TryGetProperty("result", out var resultValue) ? resultValue.Clone() : default;
            var description = root.TryGetProperty("description", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString() : null;
            int? retryAfter = root.TryGetProperty("parameters", out var parameters) && parameters.ValueKind == JsonValueKind.Object
                && parameters.TryGetProperty("retry_after", out var seconds) && seconds.TryGetInt32(out var value) ? value : null;
            return new TelegramCallResult(status, ok, result, description, retryAfter, null);
        }
        catch (JsonException)
        {
            // Not Telegram's JSON (a proxy's error page): the status alone tells.
            return new TelegramCallResult(status, false, default, null, null, null);
        }
    }
}

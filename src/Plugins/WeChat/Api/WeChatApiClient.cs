using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ChatGateway.Plugins.WeChat.Api;

/// <summary>WeChat's answer to a call: errcode 0 or its error, or a failure to reach it (<see cref="Unreachable"/>).</summary>
internal sealed record WeChatResult(int ErrCode, string? ErrMsg, bool Unreachable = false, int HttpStatus = 200)
{
    [JsonPropertyName("access_token")]
    public string? AccessToken { get; init; }

    [JsonPropertyName("expires_in")]
    public int ExpiresIn { get; init; }

    public bool TokenInvalid => ErrCode is 40001 or 42001 or 40014;
}

/// <summary>
/// The part of WeChat's API the channel uses. WeChat answers most errors 200 with <c>{"errcode":…,"errmsg":…}</c> and takes
/// the access_token in the query string, so this small client reads every answer itself; its HttpClient has no loggers
/// (they would log the URL, token included).
/// </summary>
internal sealed class WeChatApiClient(HttpClient http)
{
    public const string HttpClientName = "ChatGateway.Plugins.WeChat.Api";

    public Task<WeChatResult> GetTokenAsync(string appId, string secret, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get,
            $"cgi-bin/token?grant_type=client_credential&appid={Uri.EscapeDataString(appId)}&secret={Uri.EscapeDataString(secret)}"), cancellationToken);

    public Task<WeChatResult> SendCustomMessageAsync(string accessToken, object message, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Post, $"cgi-bin/message/custom/send?access_token={Uri.EscapeDataString(accessToken)}")
        {
            // Buffered, with Content-Length; WeChat reads the text as UTF-8 as written (not \u-escaped).
            Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(message, JsonOptions))
            {
                Headers = { ContentType = new("application/json") { CharSet = "utf-8" } },
            },
        }, cancellationToken);

    /// <summary>
    /// A media file (<c>GET cgi-bin/media/get</c>): the response to read, or WeChat's error when it answered JSON instead.
    /// </summary>
    public async Task<(HttpResponseMessage? Media, WeChatResult? Error)> GetMediaAsync(string accessToken, string mediaId, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.GetAsync(
                $"cgi-bin/media/get?access_token={Uri.EscapeDataString(accessToken)}&media_id={Uri.EscapeDataString(mediaId)}",
                HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (null, new WeChatResult(-1, "could not reach WeChat", Unreachable: true));
        }

        var type = response.Content.Headers.ContentType?.MediaType;
        if (!response.IsSuccessStatusCode || type is "application/json" or "text/plain")
        {
            using (response)
            {
                return (null, await ReadAsync(response, cancellationToken));
            }
        }

        return (response, null);
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private async Task<WeChatResult> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            try
            {
                using var response = await http.SendAsync(request, cancellationToken);
                return await ReadAsync(response, cancellationToken);
            }
            catch (Exception ex) when (ex is HttpRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
            {
                return new WeChatResult(-1, "could not reach WeChat", Unreachable: true);
            }
        }
    }

    private static async Task<WeChatResult> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            return new WeChatResult(-2, $"WeChat answered {status}", Unreachable: status is 408 or 429 or >= 500, HttpStatus: status);
        }

        try
        {
            var body = await response.Content.ReadFromJsonAsync<WireResult>(cancellationToken);
            return body is null
                ? new WeChatResult(-1, "WeChat answered an empty body")
                : new WeChatResult(body.ErrCode, body.ErrMsg) { AccessToken = body.AccessToken, ExpiresIn = body.ExpiresIn };
        }
        catch (JsonException)
        {
            return new WeChatResult(-1, "WeChat answered something that is not JSON", Unreachable: true);
        }
    }

    private sealed record WireResult
    {
        [JsonPropertyName("errcode")]
        public int ErrCode { get; init; }

        [JsonPropertyName("errmsg")]
        public string? ErrMsg { get; init; }

        [JsonPropertyName("access_token")]
        public string? AccessToken { get; init; }

        [JsonPropertyName("expires_in")]
        public int ExpiresIn { get; init; }
    }
}

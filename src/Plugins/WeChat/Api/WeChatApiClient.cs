using System.Net;

using Refit;

namespace ChatGateway.Plugins.WeChat.Api;

/// <summary>WeChat's answer to a call: errcode 0 or its error, or a failure to reach it (<see cref="Unreachable"/>).</summary>
internal sealed record WeChatResult(int ErrCode, string? ErrMsg, bool Unreachable = false, int HttpStatus = 200)
{
    public string? AccessToken { get; init; }

    /// <summary>The wait an HTTP 429 or 503 (from WeChat or a proxy in front) asked for in its <c>Retry-After</c> seconds.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public int ExpiresIn { get; init; }

    public string? MediaId { get; init; }

    public WeChatUserInfo? User { get; init; }

    public bool TokenInvalid => ErrCode is 40001 or 42001 or 40014;

    /// <summary>Worth trying again soon: WeChat unreachable or busy (-1), or limiting the rate (45009, 45047).</summary>
    public bool Transient => Unreachable || ErrCode is -1 or 45009 or 45047;

    public static WeChatResult NotReached(string reason) => new(-1, reason, Unreachable: true);
}

/// <summary>
/// The channel's client of WeChat's API over <see cref="IWeChatApi"/>: every answer (HTTP 200 with an errcode, another
/// status, a network failure) becomes a <see cref="WeChatResult"/>. Refit's exceptions stay here: their <c>Uri</c> carries
/// the access_token.
/// </summary>
internal sealed class WeChatApiClient(IWeChatApi api)
{
    public Task<WeChatResult> GetTokenAsync(string appId, string secret, CancellationToken cancellationToken) =>
        CallAsync(ct => api.GetTokenAsync(appId, secret, ct), reply => new WeChatResult(reply.ErrCode, reply.ErrMsg)
        {
            AccessToken = reply.AccessToken,
            ExpiresIn = reply.ExpiresIn,
        }, cancellationToken);

    public Task<WeChatResult> SendCustomMessageAsync(string accessToken, WeChatCustomMessage message, CancellationToken cancellationToken) =>
        CallAsync(ct => api.SendCustomMessageAsync(accessToken, message, ct), reply => new WeChatResult(reply.ErrCode, reply.ErrMsg), cancellationToken);

    /// <summary>Uploads a picture as temporary media (<c>type=image</c>); the result's <see cref="WeChatResult.MediaId"/> on success.</summary>
    public async Task<WeChatResult> UploadImageAsync(string accessToken, Stream content, string fileName, string contentType, CancellationToken cancellationToken)
    {
        var result = await CallAsync(
            ct => api.UploadMediaAsync(accessToken, "image", new StreamPart(content, fileName, contentType), ct),
            reply => new WeChatResult(reply.ErrCode, reply.ErrMsg) { MediaId = reply.MediaId },
            cancellationToken);
        return result is { ErrCode: 0, MediaId: null or "" } ? new WeChatResult(-1, "WeChat answered the upload without a media_id") : result;
    }

    /// <summary>A follower's information (<see cref="WeChatResult.User"/>) on success.</summary>
    public Task<WeChatResult> GetUserInfoAsync(string accessToken, string openId, CancellationToken cancellationToken) =>
        CallAsync(ct => api.GetUserInfoAsync(accessToken, openId, ct), reply => new WeChatResult(reply.ErrCode, reply.ErrMsg) { User = reply }, cancellationToken);

    /// <summary>
    /// A media file (<c>GET cgi-bin/media/get</c>): the response to read, or WeChat's error when it answered JSON (or another
    /// status) instead.
    /// </summary>
    public async Task<(HttpResponseMessage? Media, WeChatResult? Error)> GetMediaAsync(string accessToken, string mediaId, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await api.GetMediaAsync(accessToken, mediaId, cancellationToken);
        }
        catch (Exception ex) when (IsNetworkFailure(ex, cancellationToken))
        {
            return (null, WeChatResult.NotReached("could not reach WeChat"));
        }

        var status = (int)response.StatusCode;
        if (!response.IsSuccessStatusCode)
        {
            response.Dispose();
            return (null, StatusResult(response.StatusCode));
        }

        // WeChat answers an error about the media as JSON (or text/plain holding JSON), still HTTP 200.
        if (response.Content.Headers.ContentType?.MediaType is "application/json" or "text/plain")
        {
            using (response)
            {
                try
                {
                    var reply = await System.Text.Json.JsonSerializer.DeserializeAsync<WeChatReply>(
                        await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
                    return (null, reply is null ? new WeChatResult(-1, "WeChat answered an empty body") : new WeChatResult(reply.ErrCode == 0 ? -1 : reply.ErrCode, reply.ErrMsg));
                }
                catch (Exception ex) when (ex is System.Text.Json.JsonException || IsNetworkFailure(ex, cancellationToken))
                {
                    return (null, new WeChatResult(-1, "WeChat answered something that is neither a file nor JSON", Unreachable: true, HttpStatus: status));
                }
            }
        }

        return (response, null);
    }

    private static async Task<WeChatResult> CallAsync<T>(
        Func<CancellationToken, Task<IApiResponse<T>>> call, Func<T, WeChatResult> read, CancellationToken cancellationToken)
    {
        IApiResponse<T> response;
        try
        {
            response = await call(cancellationToken);
        }
        catch (Exception ex) when (IsNetworkFailure(ex, cancellationToken))
        {
            return WeChatResult.NotReached("could not reach WeChat");
        }

        using (response)
        {
            if (response.HasRequestError(out var requestError))
            {
                cancellationToken.ThrowIfCancellationRequested();
                return WeChatResult.NotReached(requestError.InnerException is HttpRequestException { HttpRequestError: var networkError }
                    ? $"could not reach WeChat ({networkError})"
                    : "WeChat did not answer in time");
            }

            if (response.StatusCode is not { } status)
            {
                return WeChatResult.NotReached("WeChat did not answer");
            }

            if (!response.IsSuccessStatusCode)
            {
                return StatusResult(status) with { RetryAfter = status is HttpStatusCode.TooManyRequests or HttpStatusCode.ServiceUnavailable && response.Headers?.RetryAfter?.Delta is { } wait && wait > TimeSpan.Zero ? wait : null };
            }

            return response.Content is { } content
                ? read(content)
                : new WeChatResult(-1, "WeChat answered something that is not JSON", Unreachable: true);
        }
    }

    private static WeChatResult StatusResult(HttpStatusCode status)
    {
        var code = (int)status;
        return new WeChatResult(-2, $"WeChat answered {code}", Unreachable: code is 408 or 429 or >= 500, HttpStatus: code);
    }

    private static bool IsNetworkFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is HttpRequestException or ApiRequestException or TimeoutException or IOException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);
}

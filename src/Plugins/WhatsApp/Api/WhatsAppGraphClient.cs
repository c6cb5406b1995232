using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.WhatsApp.Api;

/// <summary>Why media could not be fetched: <paramref name="Transient"/> failures are worth another attempt.</summary>
internal sealed record MediaFetchFailure(bool Transient, string Reason);

/// <summary>
/// One Graph call's answer: the status, the id it gave (an upload's <c>id</c>, a send's <c>messages[0].id</c>), Graph's
/// error and the <c>Retry-After</c> it asked for; or <see cref="NetworkError"/> when no answer came.
/// </summary>
internal sealed record GraphAnswer(int Status, string? Id, GraphError? Error, string? NetworkError = null, TimeSpan? RetryAfter = null)
{
    public bool IsSuccess => NetworkError is null && Status is >= 200 and < 300;
}

/// <summary>
/// The Graph API behind the channel: the Refit client (<see cref="IWhatsAppGraphApi"/>) for sends, uploads and media
/// lookups, and the media download from the short-lived address a lookup gives, on the same HttpClient (same token,
/// same time limit), only to the configured Graph host or Meta's media host.
/// </summary>
internal sealed class WhatsAppGraphClient(IWhatsAppGraphApi api, IHttpClientFactory httpClientFactory, IOptionsMonitor<WhatsAppOptions> options, TimeProvider time)
{
    /// <summary>The HttpClient of the Refit client and the downloads.</summary>
    public const string HttpClientName = "ChatGateway.Plugins.WhatsApp.Graph";

    /// <summary>Where Meta serves customers' media (<c>https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=…</c>).</summary>
    public const string MediaHost = "lookaside.fbsbx.com";

    public async Task<GraphAnswer> SendMessageAsync(GraphMessageRequest request, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var (answer, _) = await CallAsync(
            () => api.SendMessageAsync(settings.ApiVersion, settings.PhoneNumberId, request, cancellationToken),
            result => result?.Messages?.Select(m => m.Id).FirstOrDefault(), cancellationToken);
        return answer;
    }

    public async Task<GraphAnswer> UploadMediaAsync(Stream file, string fileName, string contentType, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var (answer, _) = await CallAsync(
            () => api.UploadMediaAsync(settings.ApiVersion, settings.PhoneNumberId, "whatsapp", contentType, new StreamPart(file, fileName, contentType), cancellationToken),
            result => result?.Id, cancellationToken);
        return answer;
    }

    /// <summary>A customer's media, headers read; or why there is none. The caller disposes the response.</summary>
    public async Task<(HttpResponseMessage? Response, MediaFetchFailure? Failure)> GetMediaAsync(string mediaId, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var (lookup, info) = await CallAsync(() => api.GetMediaAsync(settings.ApiVersion, mediaId, cancellationToken), _ => null, cancellationToken);
        if (lookup.NetworkError is { } network)
        {
            return (null, new MediaFetchFailure(true, network == "timeout" ? "WhatsApp did not answer in time" : $"could not reach WhatsApp ({network})"));
        }

        if (!lookup.IsSuccess)
        {
            return (null, Failure("the media lookup", lookup.Status));
        }

        if (!Uri.TryCreate(info?.Url, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp))
        {
            return (null, new MediaFetchFailure(false, "WhatsApp gave no address for the media"));
        }

        // The token goes with the download: never to a host that is neither Graph nor Meta's media host.
        if (!IsTrustedHost(address, settings))
        {
            return (null, new MediaFetchFailure(false, "WhatsApp gave the media's address on an unexpected host"));
        }

        using var request = new HttpRequestMessage(HttpMethod.Get, address);
        HttpResponseMessage response;
        try
        {
            response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            return (null, new MediaFetchFailure(true, $"could not reach WhatsApp ({ex.HttpRequestError})"));
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, new MediaFetchFailure(true, "WhatsApp did not answer in time"));
        }

        if (response.IsSuccessStatusCode)
        {
            return (response, null);
        }

        var status = (int)response.StatusCode;
        response.Dispose();
        return (null, Failure("the media download", status));
    }

    /// <summary>True for the configured Graph address (scheme, host and port) and for Meta's media host over https.</summary>
    public static bool IsTrustedHost(Uri url, WhatsAppOptions settings) =>
        (Uri.TryCreate(settings.ApiBaseAddress, UriKind.Absolute, out var graph)
            && Uri.Compare(url, graph, UriComponents.SchemeAndServer, UriFormat.UriEscaped, StringComparison.OrdinalIgnoreCase) == 0)
        || (url.Scheme == Uri.UriSchemeHttps && url.IsDefaultPort && string.Equals(url.IdnHost, MediaHost, StringComparison.OrdinalIgnoreCase));

    private static MediaFetchFailure Failure(string what, int status) =>
        new(status is 408 or 429 or >= 500, status == 404 ? $"{what} answered 404: WhatsApp no longer has the file" : $"{what} answered {status}");

    private async Task<(GraphAnswer Answer, T? Content)> CallAsync<T>(Func<Task<IApiResponse<T>>> call, Func<T?, string?> id, CancellationToken cancellationToken)
    {
        IApiResponse<T> response;
        try
        {
            response = await call();
        }
        catch (Exception ex) when (ex is HttpRequestException or ApiRequestException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            return (new GraphAnswer(0, null, null, ex is OperationCanceledException ? "timeout" : "no connection"), default);
        }

        using (response)
        {
            // Refit reports a network failure (refused, reset, timeout) in the response, not as an exception.
            if (response.HasRequestError(out var requestError))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var network = requestError.InnerException is HttpRequestException { HttpRequestError: var error } ? error.ToString() : "timeout";
                return (new GraphAnswer(0, null, null, network), default);
            }

            var status = response.StatusCode is { } code ? (int)code : 0;
            var content = response.IsSuccessStatusCode ? response.Content : default;
            var graphError = response.Error is ApiException apiException ? GraphError.Parse(apiException.Content) : null;
            return (new GraphAnswer(status, id(content), graphError, RetryAfter: RetryAfter(response.Headers?.RetryAfter)), content);
        }
    }

    /// <summary>A <c>Retry-After</c> header (seconds or a date) as a wait; null when there is none or it is past.</summary>
    private TimeSpan? RetryAfter(System.Net.Http.Headers.RetryConditionHeaderValue? header)
    {
        var wait = header?.Delta ?? (header?.Date is { } date ? date - time.GetUtcNow() : null);
        return wait > TimeSpan.Zero ? wait : null;
    }
}

using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp.Api;

/// <summary>Why media could not be fetched: <paramref name="Transient"/> failures are worth Meta's redelivery.</summary>
internal sealed record MediaFetchFailure(bool Transient, string Reason);

/// <summary>One Graph call's answer: the status and the body; or <see cref="NetworkError"/> when none came.</summary>
internal sealed record GraphAnswer(int Status, string? Body, string? NetworkError = null)
{
    public bool IsSuccess => NetworkError is null && Status is >= 200 and < 300;

    /// <summary>The <c>id</c> of an upload's answer, or <c>messages[0].id</c> of a send's.</summary>
    public string? Id()
    {
        if (Body is null)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(Body);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            if (root.TryGetProperty("messages", out var messages) && messages.ValueKind == JsonValueKind.Array)
            {
                return messages.EnumerateArray().Select(m => WhatsAppMapper.GetString(m, "id")).FirstOrDefault();
            }

            return WhatsAppMapper.GetString(root, "id");
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>
/// The Graph API calls the channel makes, each with the access token as Bearer: <c>POST /{version}/{phone-number-id}/messages</c>,
/// <c>POST /{version}/{phone-number-id}/media</c> (multipart), <c>GET /{version}/{media-id}</c> (the media's short-lived
/// URL) and that URL (the bytes, again with the token).
/// </summary>
internal sealed class WhatsAppGraphClient(IHttpClientFactory httpClientFactory, IOptionsMonitor<WhatsAppOptions> options)
{
    public const string HttpClientName = "ChatGateway.Plugins.WhatsApp.Graph";

    public Task<GraphAnswer> SendMessageAsync(object payload, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        // A string body: sent with Content-Length, never chunked.
        var content = new StringContent(JsonSerializer.Serialize(payload), Encoding.UTF8, "application/json");
        return CallAsync(new HttpRequestMessage(HttpMethod.Post, Url(settings, $"{settings.PhoneNumberId}/messages")) { Content = content }, cancellationToken);
    }

    public Task<GraphAnswer> UploadMediaAsync(Stream file, string fileName, string contentType, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var part = new StreamContent(file);
        part.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var form = new MultipartFormDataContent
        {
            { new StringContent("whatsapp"), "messaging_product" },
            { new StringContent(contentType), "type" },
            { part, "file", fileName },
        };
        return CallAsync(new HttpRequestMessage(HttpMethod.Post, Url(settings, $"{settings.PhoneNumberId}/media")) { Content = form }, cancellationToken);
    }

    /// <summary>A customer's media, headers read; or why there is none. The caller disposes the response.</summary>
    public async Task<(HttpResponseMessage? Response, MediaFetchFailure? Failure)> GetMediaAsync(string mediaId, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var lookup = await CallAsync(new HttpRequestMessage(HttpMethod.Get, Url(settings, Uri.EscapeDataString(mediaId))), cancellationToken);
        if (lookup.NetworkError is not null)
        {
            return (null, new MediaFetchFailure(true, $"could not reach WhatsApp ({lookup.NetworkError})"));
        }

        if (!lookup.IsSuccess)
        {
            return (null, Failure("the media lookup", lookup.Status));
        }

        string? url;
        try
        {
            using var document = JsonDocument.Parse(lookup.Body ?? "");
            url = WhatsAppMapper.GetString(document.RootElement, "url");
        }
        catch (JsonException)
        {
            url = null;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp))
        {
            return (null, new MediaFetchFailure(false, "WhatsApp gave no address for the media"));
        }

        using var request = Authorized(settings, new HttpRequestMessage(HttpMethod.Get, address));
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

    private static MediaFetchFailure Failure(string what, int status) =>
        new(status is 408 or 429 or >= 500, status == 404 ? $"WhatsApp no longer has the media ({what} answered 404)" : $"{what} answered {status}");

    private async Task<GraphAnswer> CallAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            Authorized(options.CurrentValue, request);
            try
            {
                using var response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
                return new GraphAnswer((int)response.StatusCode, await response.Content.ReadAsStringAsync(cancellationToken));
            }
            catch (HttpRequestException ex)
            {
                return new GraphAnswer(0, null, ex.HttpRequestError.ToString());
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // HttpClient.Timeout (the instance's RequestTimeout).
                return new GraphAnswer(0, null, "timeout");
            }
        }
    }

    private static HttpRequestMessage Authorized(WhatsAppOptions settings, HttpRequestMessage request)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AccessToken);
        return request;
    }

    private static Uri Url(WhatsAppOptions settings, string path) =>
        new(new Uri(settings.ApiBaseAddress.TrimEnd('/') + "/"), $"{settings.ApiVersion}/{path}");
}

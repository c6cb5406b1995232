using System.Net.Http.Headers;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Line.Api;

/// <summary>Why content could not be fetched: <paramref name="Transient"/> failures are worth LINE's redelivery.</summary>
internal sealed record ContentFetchFailure(bool Transient, string Reason);

/// <summary>
/// Downloads what customers send as files: <c>GET {DataApiBaseAddress}/v2/bot/message/{messageId}/content</c> with the
/// Bearer token (LINE serves content from its own host, api-data.line.me), and profile pictures from the public address
/// LINE gives for them, without the token.
/// </summary>
internal sealed class LineContentClient(IHttpClientFactory httpClientFactory, IOptionsMonitor<LineOptions> options)
{
    public const string HttpClientName = "ChatGateway.Plugins.Line.Content";

    /// <summary>The content of a customer's message, headers read; or why there is none. The caller disposes the response.</summary>
    public Task<(HttpResponseMessage? Response, ContentFetchFailure? Failure)> GetMessageContentAsync(string messageId, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var url = new Uri(new Uri(settings.DataApiBaseAddress.TrimEnd('/') + "/"), $"v2/bot/message/{Uri.EscapeDataString(messageId)}/content");
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.ChannelAccessToken);
        return SendAsync(request, cancellationToken);
    }

    /// <summary>A profile picture (a public https address of LINE's CDN): no token goes with it.</summary>
    public Task<(HttpResponseMessage? Response, ContentFetchFailure? Failure)> GetPictureAsync(Uri url, CancellationToken cancellationToken) =>
        SendAsync(new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);

    private async Task<(HttpResponseMessage?, ContentFetchFailure?)> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await httpClientFactory.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                return (null, new ContentFetchFailure(true, $"could not reach LINE ({ex.HttpRequestError})"));
            }

            if (response.IsSuccessStatusCode)
            {
                return (response, null);
            }

            var status = (int)response.StatusCode;
            response.Dispose();
            return (null, new ContentFetchFailure(status is 408 or 429 or >= 500, $"LINE answered {status}"));
        }
    }
}

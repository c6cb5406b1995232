using System.Net;
using System.Net.Http.Headers;
using System.Text;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms.Media;

/// <summary>Why a media file of an inbound MMS could not be fetched: <paramref name="Transient"/> failures are worth Twilio's retry.</summary>
internal sealed record MediaFetchFailure(bool Transient, string Reason);

/// <summary>
/// Fetches the media of an inbound MMS from Twilio with the account's credentials (HTTP Basic <c>AccountSid:AuthToken</c>,
/// required when media authentication is on). Redirects are followed by hand: to the API host with the credentials, to
/// any other host only over https and without them (Twilio answers a media URL with a redirect to its storage), never
/// to plain http elsewhere.
/// </summary>
internal sealed class TwilioMediaClient(IHttpClientFactory httpClientFactory, IOptionsMonitor<SmsOptions> options)
{
    public const string HttpClientName = "ChatGateway.Plugins.Sms.Media";

    private const int MaxRedirects = 5;

    /// <summary>
    /// The response to <paramref name="url"/> (on the API host: the caller checked), with only its headers read; or why
    /// there is none. The caller disposes the response.
    /// </summary>
    public async Task<(HttpResponseMessage? Response, MediaFetchFailure? Failure)> GetAsync(Uri url, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        var apiBase = new Uri(settings.ApiBaseAddress);
        var client = httpClientFactory.CreateClient(HttpClientName);
        var target = url;

        for (var redirects = 0; ; redirects++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, target);
            if (IsApiHost(target, apiBase))
            {
                request.Headers.Authorization = new AuthenticationHeaderValue(
                    "Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{settings.AccountSid}:{settings.AuthToken}")));
            }

            HttpResponseMessage response;
            try
            {
                response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            }
            catch (HttpRequestException ex)
            {
                return (null, new MediaFetchFailure(true, $"could not reach Twilio ({ex.HttpRequestError})"));
            }

            var status = (int)response.StatusCode;
            if (status is 301 or 302 or 303 or 307 or 308)
            {
                var location = response.Headers.Location;
                response.Dispose();
                if (location is null)
                {
                    return (null, new MediaFetchFailure(false, $"Twilio answered {status} without a Location"));
                }

                var next = location.IsAbsoluteUri ? location : new Uri(target, location);
                if (redirects >= MaxRedirects)
                {
                    return (null, new MediaFetchFailure(false, "too many redirects"));
                }

                if (!IsApiHost(next, apiBase) && next.Scheme != Uri.UriSchemeHttps)
                {
                    return (null, new MediaFetchFailure(false, "Twilio redirected it to a host that is not https"));
                }

                target = next;
                continue;
            }

            if (response.IsSuccessStatusCode)
            {
                return (response, null);
            }

            response.Dispose();
            return (null, new MediaFetchFailure(status is 408 or 429 or >= 500, $"Twilio answered {status}"));
        }
    }

    /// <summary>Same scheme, host and port as the configured API: the only place the credentials go.</summary>
    public static bool IsApiHost(Uri url, Uri apiBase) =>
        url.IsAbsoluteUri
        && string.Equals(url.Scheme, apiBase.Scheme, StringComparison.OrdinalIgnoreCase)
        && string.Equals(url.IdnHost, apiBase.IdnHost, StringComparison.OrdinalIgnoreCase)
        && url.Port == apiBase.Port
        && string.IsNullOrEmpty(url.UserInfo);
}

using System.Net.Http.Headers;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp.Api;

/// <summary>
/// Adds the access token as Bearer to every Graph call and media download, read per request so a reloaded token takes
/// effect; only for the configured Graph address and Meta's media host, so the token never leaves for another host.
/// </summary>
internal sealed class WhatsAppAuthorizationHandler(IOptionsMonitor<WhatsAppOptions> options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var settings = options.CurrentValue;
        if (request.RequestUri is { } url && WhatsAppGraphClient.IsTrustedHost(url, settings))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", settings.AccessToken);
        }

        return base.SendAsync(request, cancellationToken);
    }
}

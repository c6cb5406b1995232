using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>
/// WhatsApp's messaging API: customers' messages arrive as a signed JSON webhook carrying one or more events,
/// agents' replies go out through its REST API.
/// </summary>
public sealed class WhatsAppChannelPlugin : IChannelPlugin
{
    public string Name => "WhatsApp";

    public string ChannelType => "whatsapp";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddWhatsApp(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapWhatsAppWebhook();
    }
}

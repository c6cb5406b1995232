using ChatGateway.Abstractions;
using ChatGateway.Plugins.ChannelTemplate.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.ChannelTemplate;

/// <summary>
/// ChannelTemplate's messaging API: customers' messages arrive as a signed JSON webhook carrying one or more events,
/// agents' replies go out through its REST API.
/// </summary>
public sealed class ChannelTemplateChannelPlugin : IChannelPlugin
{
    public string Name => "ChannelTemplate";

    public string ChannelType => "channeltemplate";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddChannelTemplate(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapChannelTemplateWebhook();
    }
}

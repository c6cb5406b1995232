using ChatGateway.Abstractions;
using ChatGateway.Plugins.Line.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Line;

/// <summary>
/// Line's messaging API: customers' messages arrive as a signed JSON webhook carrying one or more events,
/// agents' replies go out through its REST API.
/// </summary>
public sealed class LineChannelPlugin : IChannelPlugin
{
    public string Name => "Line";

    public string ChannelType => "line";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddLine(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapLineWebhook();
    }
}

using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.TestPlugins.Broken;

public sealed class BrokenPlugin : IChannelPlugin
{
    public string Name => "Broken";

    public string ChannelType => "broken";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services) =>
        throw new InvalidOperationException("the broken test plugin cannot start");

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
    }
}

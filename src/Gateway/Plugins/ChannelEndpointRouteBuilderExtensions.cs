using ChatGateway.Abstractions.Hosting;

namespace ChatGateway.Gateway.Plugins;

internal static class ChannelEndpointRouteBuilderExtensions
{
    /// <summary>Maps each running instance's endpoints under /channels/{id} (see <see cref="ChannelEndpoints.Map"/>); call after <see cref="ChannelRegistry.Load"/>.</summary>
    public static IEndpointRouteBuilder MapChannels(this IEndpointRouteBuilder endpoints)
    {
        foreach (var channel in endpoints.ServiceProvider.GetRequiredService<ChannelRegistry>().Running)
        {
            ChannelEndpoints.Map(endpoints, channel.Plugin!, channel.Instance!, channel.Services!);
        }

        return endpoints;
    }
}

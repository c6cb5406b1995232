using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Abstractions.Hosting;

/// <summary>Maps a channel instance's endpoints as the gateway serves them; the plugin test kit maps them here too.</summary>
public static class ChannelEndpoints
{
    /// <summary>
    /// Maps the instance's endpoints under <c>/channels/{id}</c>: each request runs with <c>HttpContext.RequestServices</c>
    /// a scope of <paramref name="instanceServices"/> in front of the application's services, and skips the middleware
    /// after routing.
    /// </summary>
    /// <param name="endpoints">The application's routes.</param>
    /// <param name="plugin">The plugin serving the instance.</param>
    /// <param name="instance">The instance.</param>
    /// <param name="instanceServices">The instance's container, from <see cref="ChannelContainer.BuildProvider"/>.</param>
    /// <returns>The instance's route group.</returns>
    public static RouteGroupBuilder Map(IEndpointRouteBuilder endpoints, IChannelPlugin plugin, ChannelInstance instance, IServiceProvider instanceServices)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(instanceServices);
        var group = endpoints.MapGroup($"/channels/{instance.Id}");
        group.WithTags("Channels: " + instance.PluginName);
        ((IEndpointConventionBuilder)group).Add(endpoint =>
        {
            if (endpoint.RequestDelegate is { } handler)
            {
                endpoint.RequestDelegate = ChannelRequestServices.Wrap(instanceServices, handler);
            }
        });

        // Straight from routing to the endpoint: a channel's callers prove who they are to the plugin
        // (a provider's signature, a visitor's token), so the agents' cookie authentication and
        // authorization that follow routing have nothing to do there, and cost every inbound message
        // their share of the request path. An endpoint that asks for authorization (or ASP.NET CORS)
        // fails loudly instead of running unchecked.
        group.ShortCircuit();
        plugin.MapEndpoints(group, instance);
        return group;
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Abstractions.Hosting;

/// <summary>
/// Runs a channel endpoint's requests with the instance's own container in front of the host's, so a
/// plugin's handlers resolve the plugin's services from HttpContext.RequestServices while the host's framework
/// services (JSON options, problem details) still resolve.
/// </summary>
internal sealed class ChannelRequestServices(IServiceProvider channel, IServiceProvider host) : IServiceProvider, IKeyedServiceProvider
{
    /// <summary>
    /// The endpoint's handler, run in a scope of the instance's container. It wraps the endpoint itself
    /// rather than being a middleware: channel endpoints skip the middleware after routing (see
    /// <see cref="ChannelEndpoints.Map"/>).
    /// </summary>
    public static RequestDelegate Wrap(IServiceProvider services, RequestDelegate endpoint) => async context =>
    {
        var original = context.RequestServices;
        await using var scope = services.CreateAsyncScope();
        context.RequestServices = new ChannelRequestServices(scope.ServiceProvider, original);
        try
        {
            await endpoint(context);
        }
        finally
        {
            context.RequestServices = original;
        }
    };

    public object? GetService(Type serviceType) => channel.GetService(serviceType) ?? host.GetService(serviceType);

    public object? GetKeyedService(Type serviceType, object? serviceKey) =>
        (channel as IKeyedServiceProvider)?.GetKeyedService(serviceType, serviceKey) ?? (host as IKeyedServiceProvider)?.GetKeyedService(serviceType, serviceKey);

    public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
        GetKeyedService(serviceType, serviceKey) ?? throw new InvalidOperationException($"No keyed service for type '{serviceType}'.");
}

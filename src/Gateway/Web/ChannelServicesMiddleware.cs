using ChatGateway.Gateway.Plugins;

namespace ChatGateway.Gateway.Web;

internal static class ChannelServicesMiddleware
{
    /// <summary>
    /// Runs requests to a channel's endpoints with the instance's own container in front of the
    /// gateway's, so a plugin's handlers resolve the plugin's services from HttpContext.RequestServices
    /// while framework services (authentication, JSON options, problem details) still resolve.
    /// </summary>
    public static IApplicationBuilder UseChannelServices(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<ChannelEndpointMetadata>();
        if (metadata?.Runtime.Services is not { } services)
        {
            await next(context);
            return;
        }

        var original = context.RequestServices;
        await using var scope = services.CreateAsyncScope();
        context.RequestServices = new ChannelRequestServices(scope.ServiceProvider, original);
        try
        {
            await next(context);
        }
        finally
        {
            context.RequestServices = original;
        }
    });

    private sealed class ChannelRequestServices(IServiceProvider channel, IServiceProvider gateway) : IServiceProvider, IKeyedServiceProvider
    {
        public object? GetService(Type serviceType) => channel.GetService(serviceType) ?? gateway.GetService(serviceType);

        public object? GetKeyedService(Type serviceType, object? serviceKey) =>
            (channel as IKeyedServiceProvider)?.GetKeyedService(serviceType, serviceKey) ?? (gateway as IKeyedServiceProvider)?.GetKeyedService(serviceType, serviceKey);

        public object GetRequiredKeyedService(Type serviceType, object? serviceKey) =>
            GetKeyedService(serviceType, serviceKey) ?? throw new InvalidOperationException($"No keyed service for type '{serviceType}'.");
    }
}

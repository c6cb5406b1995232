using ChatGateway.Gateway.Plugins;

namespace ChatGateway.Gateway.Web;

internal static class ChannelServicesMiddleware
{
    /// <summary>
    /// Runs requests to a channel's endpoints inside a scope of that instance's own container, so a
    /// plugin's handlers resolve the plugin's services from HttpContext.RequestServices.
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
        context.RequestServices = scope.ServiceProvider;
        try
        {
            await next(context);
        }
        finally
        {
            context.RequestServices = original;
        }
    });
}

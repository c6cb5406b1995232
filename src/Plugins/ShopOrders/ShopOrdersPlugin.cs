using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.ShopOrders;

/// <summary>
/// Order events from the shop's system: <c>POST /channels/{id}/events</c>, signed per the Standard Webhooks spec (the
/// generic JSON format) or as Shopify signs its webhooks. It sends nothing: follow-ups go out on the buyer's channels.
/// </summary>
public sealed class ShopOrdersPlugin : IChannelPlugin
{
    public string Name => "ShopOrders";

    public string ChannelType => "orders";

    public ChannelCapabilities Capabilities => ChannelCapabilities.None;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<ShopOrdersOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ShopOrdersOptions>>(new ShopOrdersOptionsValidator(instance)));
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapOrderEvents();
    }
}

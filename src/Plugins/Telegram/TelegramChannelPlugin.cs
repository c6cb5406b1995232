using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Telegram;

/// <summary>
/// Telegram's messaging API: customers' messages arrive as a signed JSON webhook carrying one or more events,
/// agents' replies go out through its REST API.
/// </summary>
public sealed class TelegramChannelPlugin : IChannelPlugin
{
    public string Name => "Telegram";

    public string ChannelType => "telegram";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddTelegram(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapTelegramWebhook();
    }
}

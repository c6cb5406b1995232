using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WeChat;

/// <summary>
/// WeChat's messaging API: customers' messages arrive as a signed JSON webhook carrying one or more events,
/// agents' replies go out through its REST API.
/// </summary>
public sealed class WeChatChannelPlugin : IChannelPlugin
{
    public string Name => "WeChat";

    public string ChannelType => "wechat";

    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddWeChat(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapWeChatWebhook();
    }
}

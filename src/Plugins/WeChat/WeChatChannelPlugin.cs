using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WeChat;

/// <summary>
/// A WeChat Official Account (公众号): customers' messages arrive as signed XML (plaintext or safe mode), one per
/// request; agents' replies go out as customer-service messages (客服消息) within 48 hours of the customer's last message.
/// </summary>
public sealed class WeChatChannelPlugin : IChannelPlugin
{
    public string Name => "WeChat";

    public string ChannelType => "wechat";

    // StartConversation within the 48 hours only: WeChatOutreach (IChannelOutreach) says no after them. Attachments: agents'
    // pictures (JPEG, PNG, GIF) go out as image messages; other files are refused with a reason.
    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.ReceiveAttachments
        | ChannelCapabilities.Attachments | ChannelCapabilities.StartConversation;

    // WeChat keeps images up to 10 MB (in and out) and voice up to 2 MB.
    public long MaxAttachmentBytes => 10 * 1024 * 1024;

    /// <summary>Customer-service messages (客服消息) go only within 48 hours of the customer's last interaction.</summary>
    public TimeSpan? ReplyWindow => TimeSpan.FromHours(48);

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

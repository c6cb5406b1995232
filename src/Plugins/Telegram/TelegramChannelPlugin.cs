using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Telegram;

/// <summary>
/// Telegram's Bot API: customers' updates arrive by webhook (one per request, proven by the secret token header),
/// agents' answers and files go out through <c>sendMessage</c>, <c>sendPhoto</c> and <c>sendDocument</c>.
/// </summary>
public sealed class TelegramChannelPlugin : IChannelPlugin
{
    public string Name => "Telegram";

    public string ChannelType => "telegram";

    // StartConversation: a bot may write to a user who started it, until they block it (then the customer's outreach on
    // this channel is recorded as none, from my_chat_member or a send refused with 403; unblocking records it as all again).
    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText
        | ChannelCapabilities.StartConversation | ChannelCapabilities.Attachments;

    /// <summary>Bots download files up to 20 MB (getFile) and upload up to 50 MB: the smaller of the two.</summary>
    public long MaxAttachmentBytes => TelegramMapper.MaxDownloadBytes;

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

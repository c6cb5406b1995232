using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>
/// The WhatsApp Business Platform (Cloud API): customers' messages and delivery statuses arrive as Meta's signed JSON
/// webhook; agents' answers and files go out through the Graph API, free-form within 24 hours of the customer's last message.
/// </summary>
public sealed class WhatsAppChannelPlugin : IChannelPlugin
{
    public string Name => "WhatsApp";

    public string ChannelType => "whatsapp";

    // StartConversation under conditions: only within the 24-hour window (IChannelOutreach says when not).
    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.DeliveryReceipts
        | ChannelCapabilities.PhoneIdentity | ChannelCapabilities.StartConversation | ChannelCapabilities.Attachments;

    /// <summary>WhatsApp's limit for media (documents may be 100 MB; 16 MB serves both ways).</summary>
    public long MaxAttachmentBytes => 16 * 1024 * 1024;

    /// <summary>
    /// The 24-hour customer service window: the desk shows when it closes and refuses an agent's free-form answer after
    /// it (a follow-up outside it goes as the configured template, through IChannelOutreach and the sender).
    /// </summary>
    public TimeSpan? ReplyWindow => TimeSpan.FromHours(24);

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddWhatsApp(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapWhatsAppWebhook();
    }
}

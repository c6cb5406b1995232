using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Media;
using ChatGateway.Plugins.Sms.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Sms;

/// <summary>
/// SMS through Twilio's Programmable Messaging API (or any server that speaks its wire format):
/// inbound messages and delivery status arrive as signed webhooks, replies go out through the REST API. MMS media both
/// ways: an inbound message's files are fetched from Twilio into the gateway's store; an agent's files are given to Twilio
/// as signed, expiring links to <c>/channels/{id}/media/...</c>.
/// </summary>
public sealed class SmsChannelPlugin : IChannelPlugin
{
    public string Name => "Sms";

    public string ChannelType => "sms";

    public ChannelCapabilities Capabilities =>
        ChannelCapabilities.ReceiveText
        | ChannelCapabilities.SendText
        | ChannelCapabilities.DeliveryReceipts
        | ChannelCapabilities.PhoneIdentity
        | ChannelCapabilities.StartConversation
        | ChannelCapabilities.Attachments;

    /// <summary>Twilio's limit for the media of one MMS, all files together (5 MB).</summary>
    internal const long MaxMmsBytes = 5 * 1024 * 1024;

    public long MaxAttachmentBytes => MaxMmsBytes;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddTwilioSms(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapTwilioSmsWebhooks();
        endpoints.MapTwilioMedia();
    }
}

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Sms;

/// <summary>
/// SMS through Twilio's Programmable Messaging API (or any server that speaks its wire format):
/// inbound messages and delivery status arrive as signed webhooks, replies go out through the REST API.
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
        | ChannelCapabilities.StartConversation;

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
    }
}

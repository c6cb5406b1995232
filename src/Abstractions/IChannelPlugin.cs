using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Abstractions;

/// <summary>
/// The entry point of a channel plugin. The gateway finds exactly one public, non-abstract
/// implementation with a parameterless constructor in the plugin's main assembly and creates
/// it once per plugin; the same object serves every instance listed in <c>plugins.json</c>.
/// </summary>
/// <remarks>
/// For each enabled instance the gateway builds a private service container: it first adds the
/// services the gateway offers (<see cref="IInboundSink"/>, <see cref="IDeliveryStatusSink"/>,
/// <see cref="IConversationHistory"/>, <see cref="IOutreachPreferences"/>, <see cref="IAttachmentStore"/>, <see cref="IChannelState"/>,
/// <see cref="IChannelLeases"/>, <see cref="IContactProfiles"/>, <see cref="ChannelInstance"/>, logging, options,
/// <see cref="TimeProvider"/>, <c>IHttpClientFactory</c>, <c>IHostApplicationLifetime</c>), then calls
/// <see cref="ConfigureServices"/> (see <see cref="Hosting.ChannelContainer"/>, which the test kit builds instances with too). The plugin must register an <see cref="IChannelSender"/>;
/// any <c>IHostedService</c> it registers is started with the gateway and stopped with it.
/// </remarks>
public interface IChannelPlugin
{
    /// <summary>The plugin name that <c>plugins.json</c> entries refer to, e.g. <c>Sms</c>.</summary>
    string Name { get; }

    /// <summary>The kind of channel for routing and display, e.g. <c>sms</c>, <c>webchat</c>, <c>email</c>.</summary>
    string ChannelType { get; }

    /// <summary>What this channel can do. An operation outside these throws <see cref="NotSupportedException"/>.</summary>
    ChannelCapabilities Capabilities { get; }

    /// <summary>
    /// The largest file the channel's provider carries, in bytes (Twilio MMS 5 MB, most mail servers 25 MB); 0 for a
    /// channel without <see cref="ChannelCapabilities.Attachments"/> or <see cref="ChannelCapabilities.ReceiveAttachments"/>. An instance may set a lower limit
    /// (<c>Attachments:MaxBytes</c>), never a higher one.
    /// </summary>
    long MaxAttachmentBytes => 0;

    /// <summary>
    /// How long after the customer's last message on an instance an agent's free-form answer may go there (WhatsApp's
    /// 24-hour customer service window, WeChat's 48 hours for customer-service messages); null (the default) for a
    /// channel without one. The desk shows when it closes, and the gateway refuses an agent's answer there after it,
    /// saying why, before anything is sent. The gateway's own messages (follow-ups) ask <see cref="IChannelOutreach"/>.
    /// </summary>
    TimeSpan? ReplyWindow => null;

    /// <summary>
    /// Registers the services of one instance from its settings (<see cref="ChannelInstance.Settings"/>).
    /// Options should be bound with <c>ValidateOnStart()</c>: the gateway runs every start-up
    /// validator of every instance and reports all failures at once, naming the instance and key.
    /// </summary>
    void ConfigureServices(ChannelInstance instance, IServiceCollection services);

    /// <summary>
    /// Maps the instance's HTTP endpoints. <paramref name="endpoints"/> is already a route group
    /// under <c>/channels/{instanceId}</c>. While a request to these endpoints runs,
    /// <c>HttpContext.RequestServices</c> is a scope of the instance's own container.
    /// </summary>
    void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance);
}

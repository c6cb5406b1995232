using ChatGateway.Abstractions;
using ChatGateway.Plugins.Line.Webhooks;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Line;

/// <summary>
/// LINE's Messaging API: customers' messages arrive as a signed JSON webhook carrying one or more events (one-to-one
/// chats, groups and rooms); agents' answers go out through the reply API while the event's reply token lives, else by
/// push. Display names come from LINE's profile API.
/// </summary>
public sealed class LineChannelPlugin : IChannelPlugin
{
    public string Name => "Line";

    public string ChannelType => "line";

    // Attachments: customers' pictures and files come in; an agent's files are refused (see README).
    public ChannelCapabilities Capabilities => ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.StartConversation
        | ChannelCapabilities.ReplyContexts | ChannelCapabilities.ReceiveAttachments;

    /// <summary>LINE's limit for a picture; larger videos and files are shown to the agent as not kept.</summary>
    public long MaxAttachmentBytes => 10 * 1024 * 1024;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        services.AddLine(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        endpoints.MapLineWebhook();
    }
}

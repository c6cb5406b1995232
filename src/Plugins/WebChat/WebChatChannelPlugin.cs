using ChatGateway.Abstractions;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WebChat;

/// <summary>
/// The shop's own web chat: an embeddable widget script, a REST endpoint for visitors' messages, files and
/// history, and a WebSocket that pushes agents' replies (with their files) live.
/// </summary>
public sealed class WebChatChannelPlugin : IChannelPlugin
{
    /// <inheritdoc />
    public string Name => "WebChat";

    /// <inheritdoc />
    public string ChannelType => "webchat";

    /// <inheritdoc />
    public ChannelCapabilities Capabilities =>
        ChannelCapabilities.ReceiveText | ChannelCapabilities.SendText | ChannelCapabilities.LiveConnection | ChannelCapabilities.StartConversation
        | ChannelCapabilities.Attachments;

    /// <summary>Photos from a phone's camera and PDFs fit in 10 MB; an instance may lower it (<c>Attachments:MaxBytes</c>).</summary>
    public long MaxAttachmentBytes => 10L * 1024 * 1024;

    /// <inheritdoc />
    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        services.AddOptions<WebChatOptions>().Bind(instance.Settings).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebChatOptions>, WebChatOptionsValidator>();
        services.AddSingleton<VisitorConnections>();
        // The gateway's visitors gauge reads the open connections through the contract.
        services.AddSingleton<IChannelConnectionCount>(sp => sp.GetRequiredService<VisitorConnections>());
        services.AddSingleton<VisitorTokens>();
        services.AddSingleton<FloodLimits>();
        services.AddSingleton<VisitorFileLinks>();
        services.AddSingleton<IChannelSender, WebChatSender>();
        services.AddSingleton<IChannelOutreach, WebChatOutreach>();
        services.AddSingleton<IConversationStatusObserver, WebChatStatusObserver>();
        services.AddSingleton<IConversationReplyObserver, WebChatReplyObserver>();
        services.AddSingleton<VisitorActivity>();
        services.AddSingleton<IConversationActivityObserver, WebChatActivityObserver>();
        services.AddHostedService<WebChatShutdownService>();
    }

    /// <inheritdoc />
    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance) => WebChatEndpoints.Map(endpoints);
}

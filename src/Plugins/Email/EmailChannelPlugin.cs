using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.Email;

/// <summary>
/// Email through the shop's own mailbox: customers' mail is read over IMAP (IDLE, polling as the fallback) by the one
/// gateway instance holding the mailbox lease, replies go out by SMTP submission. No HTTP endpoints.
/// </summary>
public sealed class EmailChannelPlugin : IChannelPlugin
{
    /// <summary>Most mail servers take messages up to 25 MB.</summary>
    public const long MaxFileBytes = 25L * 1024 * 1024;

    public string Name => "Email";

    public string ChannelType => "email";

    public ChannelCapabilities Capabilities =>
        ChannelCapabilities.ReceiveText
        | ChannelCapabilities.SendText
        | ChannelCapabilities.EmailIdentity
        | ChannelCapabilities.StartConversation
        | ChannelCapabilities.Attachments
        | ChannelCapabilities.Html
        | ChannelCapabilities.Threads
        | ChannelCapabilities.DeliveryReceipts;

    public long MaxAttachmentBytes => MaxFileBytes;

    public void ConfigureServices(ChannelInstance instance, IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(services);
        // Before anything of this instance touches MimeKit, which remembers the charsets it found at its first use.
        Inbound.EmailMapper.RegisterCharsets();
        services.AddEmailChannel(instance);
    }

    public void MapEndpoints(IEndpointRouteBuilder endpoints, ChannelInstance instance)
    {
        // Mail arrives over IMAP; nothing to map.
    }
}

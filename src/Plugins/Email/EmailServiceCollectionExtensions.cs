using ChatGateway.Abstractions;
using ChatGateway.Plugins.Email.Inbound;
using ChatGateway.Plugins.Email.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Email;

internal static class EmailServiceCollectionExtensions
{
    /// <summary>Registers one email instance into its private container: the IMAP poller, the SMTP sender, readiness.</summary>
    public static IServiceCollection AddEmailChannel(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<EmailOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EmailOptions>>(new EmailOptionsValidator(instance)));

        services.TryAddSingleton<EmailHealth>();
        services.TryAddSingleton<InboundEmailProcessor>();
        services.TryAddSingleton<IChannelSender, SmtpEmailSender>();
        services.TryAddSingleton<IChannelReadiness, EmailReadiness>();
        services.AddHostedService<ImapPollerService>();
        return services;
    }
}

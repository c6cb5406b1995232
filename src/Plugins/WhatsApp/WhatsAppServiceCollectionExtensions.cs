using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Api;
using ChatGateway.Plugins.WhatsApp.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp;

internal static class WhatsAppServiceCollectionExtensions
{
    /// <summary>Registers one WhatsApp instance into its private container.</summary>
    public static IServiceCollection AddWhatsApp(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<WhatsAppOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WhatsAppOptions>>(new WhatsAppOptionsValidator(instance)));

        services.AddHttpClient(WhatsAppGraphClient.HttpClientName)
            .ConfigureHttpClient((provider, client) => client.Timeout = provider.GetRequiredService<IOptionsMonitor<WhatsAppOptions>>().CurrentValue.RequestTimeout)
            // IHttpClientFactory logs each request's URL at Information; media URLs are signed, and tokens must not leak.
            .RemoveAllLoggers();
        services.TryAddTransient<WhatsAppGraphClient>();

        // Transient: each send takes a fresh client from IHttpClientFactory, so handlers rotate.
        services.TryAddTransient<IChannelSender, WhatsAppSender>();
        services.TryAddSingleton<IChannelOutreach, WhatsAppOutreach>();
        return services;
    }
}

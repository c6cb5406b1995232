using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Api;
using ChatGateway.Plugins.WhatsApp.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.WhatsApp;

internal static class WhatsAppServiceCollectionExtensions
{
    /// <summary>Registers one WhatsApp instance into its private container.</summary>
    public static IServiceCollection AddWhatsApp(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<WhatsAppOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WhatsAppOptions>>(new WhatsAppOptionsValidator(instance)));

        // The source-generated client: Refit's reflection builder (AddRefitClient) compiles, then fails at the first call
        // in a plugin's load context. Its named HttpClient also carries the media downloads (same token, same time limit).
        services.TryAddTransient<WhatsAppAuthorizationHandler>();
        services.AddRefitGeneratedClient<IWhatsAppGraphApi>(_ => CreateRefitSettings(), WhatsAppGraphClient.HttpClientName)
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<WhatsAppOptions>>().CurrentValue;
                client.BaseAddress = new Uri(options.ApiBaseAddress.TrimEnd('/') + "/");
                client.Timeout = options.RequestTimeout;
            })
            .AddHttpMessageHandler<WhatsAppAuthorizationHandler>()
            // IHttpClientFactory logs each request's URL at Information; media URLs are signed, and tokens must not leak.
            .RemoveAllLoggers();
        services.TryAddTransient<WhatsAppGraphClient>();

        // Transient: each send takes a fresh client from IHttpClientFactory, so handlers rotate.
        services.TryAddTransient<IChannelSender, WhatsAppSender>();
        services.TryAddSingleton<IChannelOutreach, WhatsAppOutreach>();
        return services;
    }

    private static RefitSettings CreateRefitSettings() => new()
    {
        // Refit streams a JSON body chunked, without Content-Length: serialise it first.
        Buffered = true,

        // Exceptions keep the request; drop the token before anything can log them.
        ExceptionRedactor = exception =>
        {
            if (exception.RequestMessage is { } request)
            {
                request.Headers.Authorization = null;
            }
        },
    };
}

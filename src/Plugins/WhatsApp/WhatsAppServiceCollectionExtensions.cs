using System.Net.Http.Headers;

using ChatGateway.Abstractions;
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
        // in a plugin's load context.
        services.AddRefitGeneratedClient<IWhatsAppApi>(_ => CreateRefitSettings())
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<WhatsAppOptions>>().CurrentValue;
                client.BaseAddress = new Uri(options.ApiBaseAddress);
                client.Timeout = options.RequestTimeout;
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.AccessToken);
            })
            // IHttpClientFactory logs each request's URL at Information; a provider's URLs often hold a customer's id.
            .RemoveAllLoggers();

        // Transient: each send takes a fresh client from IHttpClientFactory, so handlers rotate.
        services.TryAddTransient<IChannelSender, WhatsAppSender>();
        return services;
    }

    private static RefitSettings CreateRefitSettings() => new()
    {
        // Refit streams a JSON body chunked, without Content-Length, which some providers refuse (411 or a bare 400):
        // serialise it first.
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

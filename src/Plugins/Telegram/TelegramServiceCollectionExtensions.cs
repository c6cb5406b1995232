using System.Net.Http.Headers;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Sending;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.Telegram;

internal static class TelegramServiceCollectionExtensions
{
    /// <summary>Registers one Telegram instance into its private container.</summary>
    public static IServiceCollection AddTelegram(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<TelegramOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelegramOptions>>(new TelegramOptionsValidator(instance)));

        // The source-generated client: Refit's reflection builder (AddRefitClient) compiles, then fails at the first call
        // in a plugin's load context.
        services.AddRefitGeneratedClient<ITelegramApi>(_ => CreateRefitSettings())
            .ConfigureHttpClient((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptionsMonitor<TelegramOptions>>().CurrentValue;
                client.BaseAddress = new Uri(options.ApiBaseAddress);
                client.Timeout = options.RequestTimeout;
                client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.AccessToken);
            })
            // IHttpClientFactory logs each request's URL at Information; a provider's URLs often hold a customer's id.
            .RemoveAllLoggers();

        // Transient: each send takes a fresh client from IHttpClientFactory, so handlers rotate.
        services.TryAddTransient<IChannelSender, TelegramSender>();
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

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Api;
using ChatGateway.Plugins.Telegram.Sending;
using ChatGateway.Plugins.Telegram.Updates;
using ChatGateway.Plugins.Telegram.Webhooks;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Telegram;

internal static class TelegramServiceCollectionExtensions
{
    /// <summary>Registers one Telegram instance into its private container.</summary>
    public static IServiceCollection AddTelegram(this IServiceCollection services, ChannelInstance instance)
    {
        services.AddOptions<TelegramOptions>().Bind(instance.Settings).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TelegramOptions>>(new TelegramOptionsValidator(instance)));

        // The bot token is part of every Bot API URL: IHttpClientFactory's request logging (URLs at Information) is removed.
        // Each call and download has its own time limit (RequestTimeout), so the client's own is off.
        services.AddHttpClient(TelegramBotClient.HttpClientName)
            .ConfigureHttpClient(client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        services.TryAddTransient<TelegramBotClient>();

        // One registration worker per instance, which is also the instance's readiness.
        services.TryAddSingleton<TelegramWebhookRegistration>();
        services.AddHostedService(provider => provider.GetRequiredService<TelegramWebhookRegistration>());
        services.AddSingleton<IChannelReadiness>(provider => provider.GetRequiredService<TelegramWebhookRegistration>());

        // Long polling, when configured (it returns at once otherwise).
        services.AddHostedService<TelegramPollingService>();

        // Transient: each send takes a fresh client from IHttpClientFactory, so handlers rotate.
        services.TryAddTransient<IChannelSender, TelegramSender>();
        return services;
    }
}

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Api;
using ChatGateway.Plugins.Telegram.Sending;
using ChatGateway.Plugins.Telegram.Updates;
using ChatGateway.Plugins.Telegram.Webhooks;

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

        // The source-generated clients (Refit's reflection builder fails at the first call in a plugin's load context).
        // The bot token is part of every Bot API URL: it goes into the base address, and IHttpClientFactory's request
        // logging (URLs at Information) is removed. Each call and download has its own time limit (RequestTimeout; a
        // long poll more), so the clients' own is off.
        services.AddRefitGeneratedClient<ITelegramBotApi>(_ => CreateRefitSettings())
            .ConfigureHttpClient((provider, client) => Configure(provider, client, "bot"))
            .RemoveAllLoggers();
        services.AddRefitGeneratedClient<ITelegramFileApi>(_ => CreateRefitSettings())
            .ConfigureHttpClient((provider, client) => Configure(provider, client, "file/bot"))
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

    /// <summary><c>{ApiBaseAddress}/bot{token}</c> or <c>{ApiBaseAddress}/file/bot{token}</c>, the methods' paths appended.</summary>
    private static void Configure(IServiceProvider provider, HttpClient client, string prefix)
    {
        var options = provider.GetRequiredService<IOptionsMonitor<TelegramOptions>>().CurrentValue;
        client.Timeout = Timeout.InfiniteTimeSpan;
        // A bad address stops start-up (the validator names it); the client is left without one meanwhile.
        if (Uri.TryCreate($"{options.ApiBaseAddress.TrimEnd('/')}/{prefix}{options.BotToken}", UriKind.Absolute, out var address))
        {
            client.BaseAddress = address;
        }
    }

    private static RefitSettings CreateRefitSettings() => new()
    {
        // Refit streams a JSON body chunked, without Content-Length: serialise it first.
        Buffered = true,

        // Exceptions keep the request, whose URL holds the token: dropped before anything can log them.
        ExceptionRedactor = exception =>
        {
            if (exception.RequestMessage is { } request)
            {
                request.RequestUri = null;
            }
        },
    };
}

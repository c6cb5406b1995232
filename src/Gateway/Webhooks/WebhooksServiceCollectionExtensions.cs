using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Webhooks;

internal static class WebhooksServiceCollectionExtensions
{
    /// <summary>Outbound webhooks: the <c>Webhooks</c> settings, the outbox the features write to, and the dispatcher.</summary>
    public static IServiceCollection AddWebhooks(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<WebhooksOptions>().Bind(configuration.GetSection("Webhooks")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<WebhooksOptions>, WebhooksOptionsValidator>();
        services.AddSingleton<WebhookOutbox>();
        services.AddHostedService<WebhookDispatcher>();
        services.AddHostedService<WebhookSubscriptionWatcher>();
        return services;
    }
}

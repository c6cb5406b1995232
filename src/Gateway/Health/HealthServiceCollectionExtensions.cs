using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Health;

internal static class HealthServiceCollectionExtensions
{
    /// <summary>Tag of the checks <c>/healthz/ready</c> (and <c>/healthz</c>) run; <c>/healthz/live</c> runs none.</summary>
    public const string Ready = "ready";

    public const string Store = "store";
    public const string Redis = "redis";
    public const string Channels = "channels";

    /// <summary>
    /// Readiness through ASP.NET Core health checks: the store takes writes, Redis answers, the channels are ready.
    /// Registered after the store's start-up so the probe writes into a migrated store.
    /// </summary>
    public static IServiceCollection AddGatewayHealth(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HealthOptions>().Bind(configuration.GetSection("Health")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<HealthOptions>, HealthOptionsValidator>();
        services.AddSingleton<StoreWriteProbe>();
        services.AddHostedService(sp => sp.GetRequiredService<StoreWriteProbe>());
        services.AddHealthChecks()
            .AddCheck<StoreHealthCheck>(Store, HealthStatus.Unhealthy, [Ready])
            .AddCheck<RedisHealthCheck>(Redis, HealthStatus.Unhealthy, [Ready], timeout: TimeSpan.FromSeconds(3))
            .AddCheck<ChannelsHealthCheck>(Channels, HealthStatus.Unhealthy, [Ready], timeout: TimeSpan.FromSeconds(5));
        return services;
    }
}

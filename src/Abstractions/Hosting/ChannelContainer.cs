using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Abstractions.Hosting;

/// <summary>
/// Builds one channel instance's private service container: the host's services first (<see cref="ChannelHostServices"/>),
/// then the plugin's own registrations. The gateway and the plugin test kit both build instances here, so a plugin is
/// tested in the container it runs in.
/// </summary>
public static class ChannelContainer
{
    /// <summary>
    /// The registrations of the instance's container: the instance, logging, the clock, the application's lifetime,
    /// options, <c>IHttpClientFactory</c> and the host's services, then whatever <see cref="IChannelPlugin.ConfigureServices"/>
    /// adds. Exceptions from the plugin propagate.
    /// </summary>
    public static ServiceCollection CreateServices(IChannelPlugin plugin, ChannelInstance instance, ChannelHostServices host)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(instance);
        ArgumentNullException.ThrowIfNull(host);
        var services = new ServiceCollection();
        AddHostServices(services, instance, host);
        plugin.ConfigureServices(instance, services);
        return services;
    }

    /// <summary>
    /// The container of <paramref name="services"/>, scopes validated as in the gateway. Start-up validation is not run
    /// here but by <see cref="StartupFailures"/>, which the host runs before it starts the instance.
    /// </summary>
    /// <param name="services">The registrations, from <see cref="CreateServices"/>.</param>
    /// <param name="validateOnBuild">Also check that every registration can be constructed (the gateway does not).</param>
    public static ServiceProvider BuildProvider(IServiceCollection services, bool validateOnBuild = false)
    {
        ArgumentNullException.ThrowIfNull(services);
        return services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true, ValidateOnBuild = validateOnBuild });
    }

    /// <summary>
    /// Runs the container's start-up validators (options bound with <c>ValidateOnStart()</c>) and returns every failure
    /// they report, empty when the settings are good. Any other exception propagates.
    /// </summary>
    public static IReadOnlyList<string> StartupFailures(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        try
        {
            services.GetService<IStartupValidator>()?.Validate();
            return [];
        }
        catch (OptionsValidationException ex)
        {
            return [.. ex.Failures];
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            return [.. ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures)];
        }
    }

    private static void AddHostServices(ServiceCollection services, ChannelInstance instance, ChannelHostServices host)
    {
        services.AddSingleton(instance);
        services.AddSingleton(host.LoggerFactory);
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(host.TimeProvider);
        if (host.Lifetime is { } lifetime)
        {
            services.AddSingleton(lifetime);
        }

        services.AddOptions();
        services.AddHttpClient();
        services.AddSingleton(host.Inbound);
        services.AddSingleton(host.CustomerActivity);
        services.AddSingleton(host.DeliveryStatuses);
        services.AddSingleton(host.History);
        services.AddSingleton(host.Attachments);
        services.AddSingleton(host.State);
        services.AddSingleton(host.Leases);
        services.AddSingleton(host.Keys);
        if (host.OrderEvents is { } orderEvents)
        {
            services.AddSingleton(orderEvents);
        }

        services.AddSingleton(host.OutreachPreferences);
        services.AddSingleton(host.ContactProfiles);
        host.ConfigureServices?.Invoke(services);
    }
}

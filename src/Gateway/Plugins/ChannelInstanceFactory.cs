using System.Text.Json;
using ChatGateway.Abstractions;
using ChatGateway.Abstractions.Hosting;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Ingest;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Plugins;

/// <summary>
/// Builds one enabled instance of plugins.json: its settings (the entry's, over its plugin's Development placeholders,
/// under configuration Channels:{id}) and its private container, the gateway's services for that instance passed in
/// through <see cref="ChannelContainer"/>, as the plugin test kit builds it.
/// </summary>
/// <remarks>
/// The gateway's services are resolved when an instance is built, not injected: the ingest, the conversations and the
/// rest depend on <see cref="ChannelRegistry"/>, which builds its instances here.
/// </remarks>
internal sealed class ChannelInstanceFactory(
    IServiceProvider gatewayServices, PluginLoader loader, IConfiguration configuration, IHostEnvironment environment)
{
    /// <summary>A plugin's Development placeholders, in its folder next to its assembly.</summary>
    internal const string DevelopmentSettingsFile = "settings.Development.json";

    /// <summary>
    /// Fills the runtime's instance, container and sender and sets its state to "running", or to "failed" with the
    /// reasons added to <paramref name="errors"/>.
    /// </summary>
    /// <param name="channelTypeOf">The channel type of any instance id, for the instance's conversation history.</param>
    public void Build(ChannelRuntime runtime, Func<string, string?> channelTypeOf, List<string> errors)
    {
        var entry = runtime.Entry;
        var plugin = runtime.Plugin!;
        var settingsBuilder = new ConfigurationBuilder();
        if (!AddDevelopmentPlaceholders(settingsBuilder, entry, errors))
        {
            runtime.State = "failed";
            return;
        }

        if (entry.Settings is { } json)
        {
            settingsBuilder.AddJsonStream(new MemoryStream(JsonSerializer.SerializeToUtf8Bytes(json)));
        }

        // Secrets and per-environment values: Channels:{id}:{Key}, e.g. env Channels__sms-main__AuthToken.
        settingsBuilder.AddConfiguration(configuration.GetSection($"Channels:{entry.Id}"));
        var instance = new ChannelInstance(entry.Id, entry.Plugin, settingsBuilder.Build());
        runtime.Instance = instance;

        // Outside the try: a gateway service that cannot be built (its own settings invalid) is the gateway's error, not the plugin's.
        var host = HostServicesFor(plugin, instance, channelTypeOf);
        try
        {
            var services = ChannelContainer.CreateServices(plugin, instance, host);
            var provider = ChannelContainer.BuildProvider(services);
            runtime.Services = provider;
            var failures = ChannelContainer.StartupFailures(provider);
            if (failures.Count > 0)
            {
                AddSettingErrors(entry, failures, errors);
            }
            else
            {
                runtime.SenderOrNull = provider.GetService<IChannelSender>();
                if (runtime.SenderOrNull is null && plugin.Capabilities.HasFlag(ChannelCapabilities.SendText))
                {
                    errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' declares SendText but registers no IChannelSender.");
                }
                else
                {
                    runtime.State = "running";
                }
            }
        }
        catch (OptionsValidationException ex)
        {
            AddSettingErrors(entry, ex.Failures, errors);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            AddSettingErrors(entry, ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures), errors);
        }
        catch (Exception ex)
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' failed to configure: {ex.GetType().Name}: {ex.Message}");
        }

        if (runtime.State != "running")
        {
            runtime.State = "failed";
        }
    }

    /// <summary>The gateway's services as one instance sees them: each sink and store knows the instance's id.</summary>
    private ChannelHostServices HostServicesFor(IChannelPlugin plugin, ChannelInstance instance, Func<string, string?> channelTypeOf)
    {
        var id = instance.Id;
        var time = gatewayServices.GetRequiredService<TimeProvider>();
        var dbFactory = gatewayServices.GetRequiredService<IDbContextFactory<GatewayDbContext>>();
        var history = new ChannelConversationHistory(dbFactory, id, channelTypeOf);
        var attachments = gatewayServices.GetRequiredService<Attachments.AttachmentService>();
        var state = new ChannelStateStore(
            dbFactory, gatewayServices.GetRequiredService<StoreDialect>(), time, gatewayServices.GetRequiredService<GatewayInstance>(), id);
        return new ChannelHostServices
        {
            LoggerFactory = gatewayServices.GetRequiredService<ILoggerFactory>(),
            TimeProvider = time,
            Lifetime = gatewayServices.GetRequiredService<IHostApplicationLifetime>(),
            Inbound = new InstanceInboundSink(gatewayServices.GetRequiredService<IngestService>(), id),
            CustomerActivity = new Agents.InstanceCustomerActivitySink(gatewayServices.GetRequiredService<Agents.ConversationActivityService>(), id),
            DeliveryStatuses = new DeliveryStatusSink(dbFactory, gatewayServices.GetRequiredService<GatewayEventBus>(), time, id),
            History = history,
            Attachments = new Attachments.InstanceAttachmentStore(attachments, history, id, attachments.LimitsFor(plugin, instance.Settings)),
            State = state,
            Leases = state,
            Keys = new ChannelKeys(gatewayServices.GetRequiredService<GatewayKeyRing>(), id),
            OrderEvents = new Orders.InstanceOrderEventSink(gatewayServices.GetRequiredService<Orders.OrderService>(), id),
            OutreachPreferences = new Contacts.OutreachPreferences(
                dbFactory, time, gatewayServices.GetRequiredService<ILogger<Contacts.OutreachPreferences>>(), id),
            ContactProfiles = new Contacts.ContactProfiles(
                dbFactory, time, gatewayServices.GetRequiredService<ILogger<Contacts.ContactProfiles>>(), id,
                plugin.ChannelType, () => gatewayServices.GetRequiredService<Contacts.ContactMergeService>()),
            ConfigureServices = services => services.AddProviderHttpClients(
                gatewayServices.GetRequiredService<IOptions<ProviderHttpOptions>>().Value, gatewayServices.GetRequiredService<ILogger<ChannelRegistry>>(), id),
        };
    }

    /// <summary>
    /// In Development only, lays the plugin's own <c>settings.Development.json</c> (placeholders for its secrets, shipped in
    /// its folder) under the instance's settings, so that a new entry in plugins.json starts on <c>dotnet run</c>. Anywhere
    /// else the file is never read: a required secret that is not configured stops start-up, naming its key.
    /// </summary>
    private bool AddDevelopmentPlaceholders(ConfigurationBuilder settingsBuilder, PluginEntry entry, List<string> errors)
    {
        if (!environment.IsDevelopment())
        {
            return true;
        }

        var path = Path.Combine(loader.PluginRoot, entry.Plugin, DevelopmentSettingsFile);
        if (!File.Exists(path))
        {
            return true;
        }

        try
        {
            var placeholders = new ConfigurationBuilder().AddJsonStream(new MemoryStream(File.ReadAllBytes(path))).Build();
            settingsBuilder.AddConfiguration(placeholders);
            return true;
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or JsonException or IOException)
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' has an unreadable '{DevelopmentSettingsFile}' ({path}): {(ex.InnerException ?? ex).Message}");
            return false;
        }
    }

    private void AddSettingErrors(PluginEntry entry, IEnumerable<string> failures, List<string> errors)
    {
        // In Development a plugin's secrets come from placeholders it ships: say where, for a plugin that has none yet.
        var placeholders = environment.IsDevelopment() ? $"; for the demo, a placeholder in the plugin's {DevelopmentSettingsFile}" : "";
        foreach (var failure in failures)
        {
            errors.Add($"{entry.Describe()} settings: {failure} (set it under \"settings\" in plugins.json, or for secrets as configuration Channels:{entry.Id}:<Key>, e.g. environment variable Channels__{entry.Id}__<Key>{placeholders})");
        }
    }
}

using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using System.Text.Json;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Ingest;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Plugins;

/// <summary>Thrown when plugins.json or a plugin cannot be loaded; lists every problem found.</summary>
internal sealed class PluginLoadException(IReadOnlyList<string> errors)
    : Exception("Channel plugins could not be loaded:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>One entry of plugins.json and, when enabled, its running instance.</summary>
internal sealed class ChannelRuntime
{
    public required PluginEntry Entry { get; init; }
    public IChannelPlugin? Plugin { get; set; }
    public ChannelInstance? Instance { get; set; }
    public ServiceProvider? Services { get; set; }
    public IChannelSender? SenderOrNull { get; set; }
    public string State { get; set; } = "disabled";
    public string? Error { get; set; }

    public IChannelSender Sender => SenderOrNull ?? throw new InvalidOperationException($"Channel '{Entry.Id}' has no sender.");
}

/// <summary>
/// Loads the plugins listed in plugins.json, each from plugins/&lt;Name&gt;/ in its own load context,
/// and gives every enabled instance a private service container built from its settings.
/// </summary>
internal sealed partial class ChannelHost(
    IServiceProvider gatewayServices,
    IOptions<PluginsOptions> options,
    IConfiguration configuration,
    ILogger<ChannelHost> logger) : IHostedService, IAsyncDisposable
{
    private readonly Dictionary<string, IChannelPlugin> _pluginsByName = new(StringComparer.OrdinalIgnoreCase);
    private List<ChannelRuntime> _channels = [];
    private readonly List<IHostedService> _started = [];

    /// <summary>A plugin's Development placeholders, in its folder next to its assembly.</summary>
    internal const string DevelopmentSettingsFile = "settings.Development.json";

    public IReadOnlyList<ChannelRuntime> Channels => _channels;

    public string? ChannelTypeOf(string instanceId) =>
        _channels.FirstOrDefault(c => c.Entry.Id == instanceId)?.Plugin?.ChannelType;

    public bool TryGetRunning(string instanceId, [NotNullWhen(true)] out ChannelRuntime? channel)
    {
        channel = _channels.FirstOrDefault(c => c.Entry.Id == instanceId && c.State == "running");
        return channel is not null;
    }

    /// <summary>Reads plugins.json, loads plugins and builds instances. Throws <see cref="PluginLoadException"/> listing every problem.</summary>
    public void Load()
    {
        var settings = options.Value;
        var errors = new List<string>();
        var entries = PluginManifest.Read(settings.ConfigPath, errors);
        if (errors.Count > 0)
        {
            // A manifest with any mistake (a plugin name that leaves the plugins folder above all) loads nothing.
            throw new PluginLoadException(errors);
        }

        var pluginRoot = Path.IsPathRooted(settings.Directory) ? settings.Directory : Path.Combine(AppContext.BaseDirectory, settings.Directory);
        var channels = new List<ChannelRuntime>();

        foreach (var entry in entries)
        {
            var runtime = new ChannelRuntime { Entry = entry };
            channels.Add(runtime);
            if (!entry.Enabled || string.IsNullOrEmpty(entry.Id) || string.IsNullOrEmpty(entry.Plugin))
            {
                continue;
            }

            var plugin = LoadPlugin(entry, pluginRoot, errors);
            if (plugin is null)
            {
                continue;
            }

            runtime.Plugin = plugin;
            BuildInstance(runtime, errors);
        }

        if (errors.Count > 0)
        {
            throw new PluginLoadException(errors);
        }

        _channels = channels;
        foreach (var c in channels)
        {
            LogChannel(logger, c.Entry.Id, c.Entry.Plugin, c.State);
        }
    }

    private IChannelPlugin? LoadPlugin(PluginEntry entry, string pluginRoot, List<string> errors)
    {
        if (_pluginsByName.TryGetValue(entry.Plugin, out var cached))
        {
            return cached;
        }

        var folder = Path.Combine(pluginRoot, entry.Plugin);
        if (!Directory.Exists(folder))
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' is unknown: no folder '{folder}'. Check the 'plugin' name or deploy the plugin there.");
            return null;
        }

        var manifests = Directory.GetFiles(folder, "*.deps.json");
        if (manifests.Length != 1)
        {
            errors.Add($"{entry.Describe()}: plugin folder '{folder}' must hold exactly one built plugin (<Assembly>.dll with <Assembly>.deps.json); found {manifests.Length} .deps.json files.");
            return null;
        }

        var mainPath = manifests[0][..^".deps.json".Length] + ".dll";
        if (!IsDependencyManifest(manifests[0], out var problem))
        {
            // The runtime's native resolver aborts the process on a malformed manifest: check it first.
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' has a malformed '{Path.GetFileName(manifests[0])}': {problem}. Rebuild the plugin.");
            return null;
        }

        if (!File.Exists(mainPath))
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' has no '{Path.GetFileName(mainPath)}' beside its .deps.json.");
            return null;
        }

        try
        {
            var context = new PluginLoadContext(mainPath);
            var assembly = context.LoadFromAssemblyPath(mainPath);
            var types = assembly.GetExportedTypes()
                .Where(t => typeof(IChannelPlugin).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
                .ToList();
            if (types.Count != 1)
            {
                errors.Add($"{entry.Describe()}: '{Path.GetFileName(mainPath)}' must export exactly one public IChannelPlugin implementation; found {types.Count}.");
                return null;
            }

            var plugin = (IChannelPlugin)Activator.CreateInstance(types[0])!;
            _pluginsByName[entry.Plugin] = plugin;
            return plugin;
        }
        catch (Exception ex) when (ex is BadImageFormatException or FileLoadException or FileNotFoundException or ReflectionTypeLoadException or TypeLoadException or TargetInvocationException or MissingMethodException)
        {
            errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' could not be loaded from '{mainPath}': {(ex.InnerException ?? ex).Message}");
            return null;
        }
    }

    private static bool IsDependencyManifest(string path, out string problem)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("runtimeTarget", out var target) && target.ValueKind == JsonValueKind.Object
                && target.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                && root.TryGetProperty("targets", out var targets) && targets.ValueKind == JsonValueKind.Object
                && targets.TryGetProperty(name.GetString()!, out _)
                && root.TryGetProperty("libraries", out var libraries) && libraries.ValueKind == JsonValueKind.Object)
            {
                problem = "";
                return true;
            }

            problem = "it lacks runtimeTarget, targets or libraries";
            return false;
        }
        catch (JsonException ex)
        {
            problem = "not valid JSON: " + ex.Message;
            return false;
        }
    }

    private void BuildInstance(ChannelRuntime runtime, List<string> errors)
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

        var services = new ServiceCollection();
        services.AddSingleton(instance);
        services.AddSingleton(gatewayServices.GetRequiredService<ILoggerFactory>());
        services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        services.AddSingleton(gatewayServices.GetRequiredService<TimeProvider>());
        services.AddSingleton(gatewayServices.GetRequiredService<IHostApplicationLifetime>());
        services.AddOptions();
        services.AddProviderHttpClients(gatewayServices.GetRequiredService<IOptions<ProviderHttpOptions>>().Value, logger, entry.Id);
        var dbFactory = gatewayServices.GetRequiredService<IDbContextFactory<GatewayDbContext>>();
        services.AddSingleton<IInboundSink>(new InstanceInboundSink(gatewayServices.GetRequiredService<IngestService>(), entry.Id));
        services.AddSingleton<ICustomerActivitySink>(new Agents.InstanceCustomerActivitySink(gatewayServices.GetRequiredService<Agents.ConversationActivityService>(), entry.Id));
        services.AddSingleton<IDeliveryStatusSink>(new DeliveryStatusSink(dbFactory, gatewayServices.GetRequiredService<GatewayEventBus>(), gatewayServices.GetRequiredService<TimeProvider>(), entry.Id));
        var history = new ChannelConversationHistory(dbFactory, entry.Id, ChannelTypeOf);
        services.AddSingleton<IConversationHistory>(history);
        var attachments = gatewayServices.GetRequiredService<Attachments.AttachmentService>();
        services.AddSingleton<IAttachmentStore>(new Attachments.InstanceAttachmentStore(attachments, history, entry.Id, attachments.LimitsFor(plugin, instance.Settings)));
        var state = new ChannelStateStore(
            dbFactory, gatewayServices.GetRequiredService<StoreDialect>(), gatewayServices.GetRequiredService<TimeProvider>(), gatewayServices.GetRequiredService<GatewayInstance>(), entry.Id);
        services.AddSingleton<IChannelState>(state);
        services.AddSingleton<IChannelLeases>(state);
        services.AddSingleton<IChannelKeys>(new ChannelKeys(gatewayServices.GetRequiredService<GatewayKeyRing>(), entry.Id));
        services.AddSingleton<IOrderEventSink>(new Orders.InstanceOrderEventSink(gatewayServices.GetRequiredService<Orders.OrderService>(), entry.Id));
        services.AddSingleton<IOutreachPreferences>(new Contacts.OutreachPreferences(
            dbFactory, gatewayServices.GetRequiredService<TimeProvider>(), gatewayServices.GetRequiredService<ILogger<Contacts.OutreachPreferences>>(), entry.Id));
        services.AddSingleton<IContactProfiles>(new Contacts.ContactProfiles(
            dbFactory, gatewayServices.GetRequiredService<TimeProvider>(), gatewayServices.GetRequiredService<ILogger<Contacts.ContactProfiles>>(), entry.Id,
            plugin.ChannelType, () => gatewayServices.GetRequiredService<Contacts.ContactMergeService>()));

        try
        {
            plugin.ConfigureServices(instance, services);
            var provider = services.BuildServiceProvider(new ServiceProviderOptions { ValidateScopes = true });
            runtime.Services = provider;
            provider.GetService<IStartupValidator>()?.Validate();
            runtime.SenderOrNull = provider.GetService<IChannelSender>();
            if (runtime.SenderOrNull is null && plugin.Capabilities.HasFlag(ChannelCapabilities.SendText))
            {
                errors.Add($"{entry.Describe()}: plugin '{entry.Plugin}' declares SendText but registers no IChannelSender.");
                return;
            }

            runtime.State = "running";
        }
        catch (OptionsValidationException ex)
        {
            AddSettingErrors(entry, ex.Failures, errors, IsDevelopment);
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            AddSettingErrors(entry, ex.InnerExceptions.Cast<OptionsValidationException>().SelectMany(e => e.Failures), errors, IsDevelopment);
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

    /// <summary>
    /// In Development only, lays the plugin's own <c>settings.Development.json</c> (placeholders for its secrets, shipped in
    /// its folder) under the instance's settings, so that a new entry in plugins.json starts on <c>dotnet run</c>. Anywhere
    /// else the file is never read: a required secret that is not configured stops start-up, naming its key.
    /// </summary>
    private bool AddDevelopmentPlaceholders(ConfigurationBuilder settingsBuilder, PluginEntry entry, List<string> errors)
    {
        if (!gatewayServices.GetRequiredService<IHostEnvironment>().IsDevelopment())
        {
            return true;
        }

        var root = options.Value.Directory;
        var path = Path.Combine(Path.IsPathRooted(root) ? root : Path.Combine(AppContext.BaseDirectory, root), entry.Plugin, DevelopmentSettingsFile);
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

    private bool IsDevelopment => gatewayServices.GetRequiredService<IHostEnvironment>().IsDevelopment();

    private static void AddSettingErrors(PluginEntry entry, IEnumerable<string> failures, List<string> errors, bool development)
    {
        // In Development a plugin's secrets come from placeholders it ships: say where, for a plugin that has none yet.
        var placeholders = development ? $"; for the demo, a placeholder in the plugin's {DevelopmentSettingsFile}" : "";
        foreach (var failure in failures)
        {
            errors.Add($"{entry.Describe()} settings: {failure} (set it under \"settings\" in plugins.json, or for secrets as configuration Channels:{entry.Id}:<Key>, e.g. environment variable Channels__{entry.Id}__<Key>{placeholders})");
        }
    }

    /// <summary>Maps each running instance's endpoints under /channels/{id}.</summary>
    public void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
        foreach (var channel in _channels.Where(c => c.State == "running"))
        {
            var group = endpoints.MapGroup($"/channels/{channel.Entry.Id}");
            group.WithTags("Channels: " + channel.Entry.Plugin);
            var services = channel.Services!;
            ((IEndpointConventionBuilder)group).Add(endpoint =>
            {
                if (endpoint.RequestDelegate is { } handler)
                {
                    endpoint.RequestDelegate = ChannelRequestServices.Wrap(services, handler);
                }
            });

            // Straight from routing to the endpoint: a channel's callers prove who they are to the plugin
            // (a provider's signature, a visitor's token), so the agents' cookie authentication and
            // authorization that follow routing have nothing to do there, and cost every inbound message
            // their share of the request path. An endpoint that asks for authorization (or ASP.NET CORS)
            // fails loudly instead of running unchecked.
            group.ShortCircuit();
            channel.Plugin!.MapEndpoints(group, channel.Instance!);
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var channel in _channels.Where(c => c.State == "running"))
        {
            foreach (var hosted in channel.Services!.GetServices<IHostedService>())
            {
                await hosted.StartAsync(cancellationToken);
                _started.Add(hosted);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                LogStopFailed(logger, ex);
            }
        }

        _started.Clear();
    }

    /// <summary>Null when every running instance is ready; otherwise the reasons by instance.</summary>
    public async Task<Dictionary<string, string>> CheckReadinessAsync(CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>();
        foreach (var channel in _channels.Where(c => c.Entry.Enabled))
        {
            if (channel.State != "running")
            {
                problems[channel.Entry.Id] = channel.Error ?? channel.State;
                continue;
            }

            foreach (var readiness in channel.Services!.GetServices<IChannelReadiness>())
            {
                var reason = await readiness.CheckAsync(cancellationToken);
                if (reason is not null)
                {
                    problems[channel.Entry.Id] = reason;
                }
            }
        }

        return problems;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var channel in _channels)
        {
            if (channel.Services is not null)
            {
                await channel.Services.DisposeAsync();
            }
        }
    }

    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Channel {InstanceId} (plugin {Plugin}): {State}")]
    private static partial void LogChannel(ILogger logger, string instanceId, string plugin, string state);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "A channel background service failed to stop")]
    private static partial void LogStopFailed(ILogger logger, Exception exception);
}

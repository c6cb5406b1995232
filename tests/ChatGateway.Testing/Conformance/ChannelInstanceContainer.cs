using ChatGateway.Abstractions;
using ChatGateway.Abstractions.Hosting;

using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// One channel instance's private service container, built by the gateway's own code (<see cref="ChannelContainer"/>):
/// the instance, logging, the clock, options, IHttpClientFactory and the gateway's services (here a test double of each:
/// the sinks, the history, the attachment store, the state, the leases, the keys, the outreach preferences, the contact
/// profiles), then the plugin's own registrations. The gateway's order events sink and application lifetime are left out.
/// </summary>
public sealed class ChannelInstanceContainer : IAsyncDisposable
{
    private ChannelInstanceContainer(
        ChannelInstance instance,
        ServiceProvider services,
        RecordingInboundSink inbound,
        RecordingDeliveryStatusSink statuses,
        InMemoryConversationHistory history,
        InMemoryOutreachPreferences preferences,
        IAttachmentStore attachments,
        IChannelState state,
        IChannelLeases leases,
        InMemoryContactProfiles profiles,
        RecordingCustomerActivitySink activity,
        IReadOnlyList<ServiceDescriptor> registrations,
        TempFolderAttachmentStore? ownedAttachments)
    {
        Profiles = profiles;
        Activity = activity;
        Registrations = registrations;
        Instance = instance;
        Services = services;
        Inbound = inbound;
        Statuses = statuses;
        History = history;
        Preferences = preferences;
        Attachments = attachments;
        State = state;
        Leases = leases;
        _ownedAttachments = ownedAttachments;
    }

    private readonly TempFolderAttachmentStore? _ownedAttachments;

    public ChannelInstance Instance { get; }

    public ServiceProvider Services { get; }

    public RecordingInboundSink Inbound { get; }

    public RecordingDeliveryStatusSink Statuses { get; }

    public InMemoryConversationHistory History { get; }

    public InMemoryOutreachPreferences Preferences { get; }

    public IAttachmentStore Attachments { get; }

    public IChannelState State { get; }

    public IChannelLeases Leases { get; }

    /// <summary>The contact profiles the plugin reported (IContactProfiles).</summary>
    public InMemoryContactProfiles Profiles { get; }

    /// <summary>The customer activity (typing, read) the plugin reported (ICustomerActivitySink).</summary>
    public RecordingCustomerActivitySink Activity { get; }

    /// <summary>Every registration of the container, the gateway's test doubles and the plugin's own, in order.</summary>
    public IReadOnlyList<ServiceDescriptor> Registrations { get; }

    /// <summary>The instance with these settings, as the gateway passes it to the plugin (null values are left out).</summary>
    public static ChannelInstance CreateInstance(string instanceId, IChannelPlugin plugin, IEnumerable<KeyValuePair<string, string?>> settings)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        ArgumentNullException.ThrowIfNull(settings);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(settings.Where(pair => pair.Value is not null))
            .Build();
        return new ChannelInstance(instanceId, plugin.Name, configuration);
    }

    /// <summary>
    /// Builds the container. Exceptions from the plugin's ConfigureServices propagate; start-up
    /// validation is not run here but by <see cref="StartupFailures"/>, as the gateway runs it after building.
    /// </summary>
    /// <param name="validateOnBuild">Also check that every registration can be constructed (the gateway does not).</param>
    /// <param name="attachments">The attachment store; by default a <see cref="TempFolderAttachmentStore"/> of the plugin's size limit, deleted with the container.</param>
    /// <param name="state">The channel state; share one between containers to play gateway instances on one store.</param>
    /// <param name="leases">The leases; use <see cref="InMemoryChannelLeases.AnotherGatewayInstance"/> for a competing instance.</param>
    /// <param name="inbound">The inbound sink; by default a new <see cref="RecordingInboundSink"/>.</param>
    /// <param name="statuses">The delivery status sink; by default a new <see cref="RecordingDeliveryStatusSink"/>.</param>
    public static ChannelInstanceContainer Build(
        IChannelPlugin plugin,
        string instanceId,
        IEnumerable<KeyValuePair<string, string?>> settings,
        ILoggerFactory? loggerFactory = null,
        TimeProvider? timeProvider = null,
        bool validateOnBuild = false,
        IAttachmentStore? attachments = null,
        IChannelState? state = null,
        IChannelLeases? leases = null,
        RecordingInboundSink? inbound = null,
        RecordingDeliveryStatusSink? statuses = null)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        var instance = CreateInstance(instanceId, plugin, settings);
        inbound ??= new RecordingInboundSink();
        statuses ??= new RecordingDeliveryStatusSink();
        var ownedAttachments = attachments is null ? new TempFolderAttachmentStore(plugin.MaxAttachmentBytes > 0 ? plugin.MaxAttachmentBytes : 10 * 1024 * 1024) : null;
        attachments ??= ownedAttachments!;
        state ??= new InMemoryChannelState();
        leases ??= new InMemoryChannelLeases(timeProvider);
        var history = new InMemoryConversationHistory();
        var preferences = new InMemoryOutreachPreferences(inbound);
        var profiles = new InMemoryContactProfiles(inbound);
        var activity = new RecordingCustomerActivitySink(inbound);

        var services = ChannelContainer.CreateServices(plugin, instance, new ChannelHostServices
        {
            LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance,
            TimeProvider = timeProvider ?? TimeProvider.System,
            Inbound = inbound,
            CustomerActivity = activity,
            DeliveryStatuses = statuses,
            History = history,
            Attachments = attachments,
            State = state,
            Leases = leases,
            Keys = new FixedChannelKeys(instanceId),
            OutreachPreferences = preferences,
            ContactProfiles = profiles,
        });
        var provider = ChannelContainer.BuildProvider(services, validateOnBuild);
        return new ChannelInstanceContainer(
            instance, provider, inbound, statuses, history, preferences, attachments, state, leases, profiles, activity, [.. services], ownedAttachments);
    }

    /// <summary>
    /// Runs the start-up validators as the gateway does before it starts an instance, and returns
    /// every failure they report (empty when the settings are good). Any other exception propagates.
    /// </summary>
    public IReadOnlyList<string> StartupFailures() => ChannelContainer.StartupFailures(Services);

    public async ValueTask DisposeAsync()
    {
        await Services.DisposeAsync();
        _ownedAttachments?.Dispose();
    }
}

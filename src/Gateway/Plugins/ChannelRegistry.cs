using System.Diagnostics.CodeAnalysis;
using ChatGateway.Abstractions;

namespace ChatGateway.Gateway.Plugins;

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
/// The channel instances of plugins.json, loaded once at start-up (<see cref="Load"/>), and the lookup the rest of the
/// gateway uses to find an instance by id. It owns the instances' containers.
/// </summary>
internal sealed partial class ChannelRegistry(PluginLoader loader, ChannelInstanceFactory factory, ILogger<ChannelRegistry> logger) : IAsyncDisposable
{
    private List<ChannelRuntime> _channels = [];

    public IReadOnlyList<ChannelRuntime> Channels => _channels;

    public IEnumerable<ChannelRuntime> Running => _channels.Where(c => c.State == "running");

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
        var entries = loader.ReadManifest();
        var errors = new List<string>();
        var channels = new List<ChannelRuntime>();
        foreach (var entry in entries)
        {
            var runtime = new ChannelRuntime { Entry = entry };
            channels.Add(runtime);
            if (!entry.Enabled || string.IsNullOrEmpty(entry.Id) || string.IsNullOrEmpty(entry.Plugin))
            {
                continue;
            }

            var plugin = loader.Load(entry, errors);
            if (plugin is null)
            {
                continue;
            }

            runtime.Plugin = plugin;
            factory.Build(runtime, ChannelTypeOf, errors);
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
}

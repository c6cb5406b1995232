using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using ChatGateway.Gateway.Telemetry;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Telemetry;

/// <summary>
/// The gateway meter's measurements of the given hosts only (their <see cref="IMeterFactory"/> is the meter's scope).
/// Not OpenTelemetry's in-memory metric exporter: its listener takes every <c>ChatGateway</c> meter in the process as one,
/// and any other test's gateway stopping meanwhile ends that metric for all of them (open-telemetry/opentelemetry-dotnet#6412).
/// </summary>
internal sealed class HostMetrics : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentQueue<(string Name, long Value, Dictionary<string, string?> Tags)> _measured = new();
    private readonly Lock _gate = new();
    private List<(string Name, long Value, Dictionary<string, string?> Tags)>? _observed;

    public HostMetrics(params GatewayHost[] hosts)
    {
        var factories = hosts.Select(h => h.Services.GetRequiredService<IMeterFactory>()).ToHashSet();
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == GatewayMetrics.Name && instrument.Meter.Scope is IMeterFactory factory && factories.Contains(factory))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            var item = (instrument.Name, value, Tags(tags));
            if (instrument.IsObservable)
            {
                lock (_gate)
                {
                    _observed?.Add(item);
                }
            }
            else
            {
                _measured.Enqueue(item);
            }
        });
        _listener.Start();
    }

    /// <summary>What a counter added up to since this reader started, over the points holding every one of <paramref name="tags"/>.</summary>
    public long Sum(string name, params (string Key, string Value)[] tags) =>
        _measured.Where(m => m.Name == name && Matches(m.Tags, tags)).Sum(m => m.Value);

    /// <summary>An observable instrument read now, summed over the hosts' points holding every one of <paramref name="tags"/>.</summary>
    public long Observe(string name, params (string Key, string Value)[] tags)
    {
        lock (_gate)
        {
            _observed = [];
        }

        _listener.RecordObservableInstruments();
        lock (_gate)
        {
            var sum = _observed!.Where(m => m.Name == name && Matches(m.Tags, tags)).Sum(m => m.Value);
            _observed = null;
            return sum;
        }
    }

    public void Dispose() => _listener.Dispose();

    private static bool Matches(Dictionary<string, string?> found, (string Key, string Value)[] tags) =>
        tags.All(t => found.TryGetValue(t.Key, out var v) && v == t.Value);

    private static Dictionary<string, string?> Tags(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var found = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var tag in tags)
        {
            found[tag.Key] = tag.Value?.ToString();
        }

        return found;
    }
}

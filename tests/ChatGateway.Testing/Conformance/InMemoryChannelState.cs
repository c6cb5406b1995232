using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// Test double of the gateway's channel state: one dictionary, with the same limits (keys 200, values 4,000 characters).
/// Share one object between two containers to play two gateway instances on one store.
/// </summary>
public sealed class InMemoryChannelState : IChannelState
{
    private readonly ConcurrentDictionary<string, string> _values = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public IReadOnlyDictionary<string, string> Values => new Dictionary<string, string>(_values, StringComparer.Ordinal);

    public Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        CheckKey(key);
        return Task.FromResult(_values.TryGetValue(key, out var value) ? value : null);
    }

    public Task SetAsync(string key, string? value, CancellationToken cancellationToken)
    {
        CheckKey(key);
        CheckValue(value);
        lock (_gate)
        {
            if (value is null)
            {
                _values.TryRemove(key, out _);
            }
            else
            {
                _values[key] = value;
            }
        }

        return Task.CompletedTask;
    }

    public Task<bool> CompareAndSetAsync(string key, string? expected, string? value, CancellationToken cancellationToken)
    {
        CheckKey(key);
        CheckValue(value);
        lock (_gate)
        {
            var current = _values.TryGetValue(key, out var found) ? found : null;
            if (!string.Equals(current, expected, StringComparison.Ordinal))
            {
                return Task.FromResult(false);
            }

            if (value is null)
            {
                _values.TryRemove(key, out _);
            }
            else
            {
                _values[key] = value;
            }

            return Task.FromResult(true);
        }
    }

    private static void CheckKey(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        if (key.Length > 200)
        {
            throw new ArgumentException("A channel state key is at most 200 characters.", nameof(key));
        }
    }

    private static void CheckValue(string? value)
    {
        if (value is { Length: > 4000 })
        {
            throw new ArgumentException("A channel state value is at most 4,000 characters.", nameof(value));
        }
    }
}

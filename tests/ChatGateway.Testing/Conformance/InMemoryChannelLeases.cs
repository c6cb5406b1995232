using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// Test double of the gateway's leases: a table in memory with expiry on a <see cref="TimeProvider"/>. Each object is one
/// gateway instance; <see cref="AnotherGatewayInstance"/> gives a second one competing for the same leases.
/// </summary>
public sealed class InMemoryChannelLeases : IChannelLeases
{
    private readonly LeaseTable _table;
    private readonly string _holder;

    public InMemoryChannelLeases(TimeProvider? time = null)
        : this(new LeaseTable(time ?? TimeProvider.System), Guid.NewGuid().ToString("N"))
    {
    }

    private InMemoryChannelLeases(LeaseTable table, string holder)
    {
        _table = table;
        _holder = holder;
    }

    /// <summary>Whether this gateway instance holds the lease now.</summary>
    public bool Holds(string name) => _table.HolderOf(name) == _holder;

    /// <summary>How often this instance took a lease (acquired, not renewed).</summary>
    public int Acquisitions => _table.AcquisitionsBy(_holder);

    /// <summary>A second gateway instance on the same lease table.</summary>
    public InMemoryChannelLeases AnotherGatewayInstance() => new(_table, Guid.NewGuid().ToString("N"));

    public Task<IChannelLease?> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Task.FromResult<IChannelLease?>(_table.TryAcquire(name, _holder, duration) is { } expires ? new Lease(_table, name, _holder, duration, expires) : null);
    }

    private sealed class Lease(LeaseTable table, string name, string holder, TimeSpan duration, DateTimeOffset expiresAt) : IChannelLease
    {
        public string Name => name;

        public DateTimeOffset ExpiresAt { get; private set; } = expiresAt;

        public Task<bool> RenewAsync(CancellationToken cancellationToken)
        {
            var renewed = table.Renew(name, holder, duration);
            if (renewed is { } expires)
            {
                ExpiresAt = expires;
            }

            return Task.FromResult(renewed is not null);
        }

        public ValueTask DisposeAsync()
        {
            table.Release(name, holder);
            return ValueTask.CompletedTask;
        }
    }

    private sealed class LeaseTable(TimeProvider time)
    {
        private readonly Lock _gate = new();
        private readonly Dictionary<string, (string Holder, DateTimeOffset ExpiresAt)> _leases = new(StringComparer.Ordinal);
        private readonly Dictionary<string, int> _acquisitions = new(StringComparer.Ordinal);

        public string? HolderOf(string name)
        {
            lock (_gate)
            {
                return _leases.TryGetValue(name, out var lease) && lease.ExpiresAt > time.GetUtcNow() ? lease.Holder : null;
            }
        }

        public int AcquisitionsBy(string holder)
        {
            lock (_gate)
            {
                return _acquisitions.GetValueOrDefault(holder);
            }
        }

        public DateTimeOffset? TryAcquire(string name, string holder, TimeSpan duration)
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (_leases.TryGetValue(name, out var lease) && lease.ExpiresAt > now && lease.Holder != holder)
                {
                    return null;
                }

                _leases[name] = (holder, now + duration);
                _acquisitions[holder] = _acquisitions.GetValueOrDefault(holder) + 1;
                return now + duration;
            }
        }

        public DateTimeOffset? Renew(string name, string holder, TimeSpan duration)
        {
            lock (_gate)
            {
                var now = time.GetUtcNow();
                if (!_leases.TryGetValue(name, out var lease) || lease.Holder != holder || lease.ExpiresAt <= now)
                {
                    return null;
                }

                _leases[name] = (holder, now + duration);
                return now + duration;
            }
        }

        public void Release(string name, string holder)
        {
            lock (_gate)
            {
                if (_leases.TryGetValue(name, out var lease) && lease.Holder == holder)
                {
                    _leases.Remove(name);
                }
            }
        }
    }
}

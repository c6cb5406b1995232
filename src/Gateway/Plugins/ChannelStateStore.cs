using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Plugins;

/// <summary>
/// One channel instance's durable values and leases (its container's <see cref="IChannelState"/> and
/// <see cref="IChannelLeases"/>), in the store every gateway instance shares: a compare-and-set is one conditional
/// statement, and a lease is taken by one conditional statement too (its holder, or nobody's once it ran out), so two
/// gateway instances never both move a cursor or both hold a lease, on SQLite or PostgreSQL.
/// </summary>
internal sealed class ChannelStateStore(IDbContextFactory<GatewayDbContext> dbFactory, StoreDialect dialect, TimeProvider time, GatewayInstance me, string instanceId)
    : IChannelState, IChannelLeases
{
    public const int MaxKeyLength = 200;
    public const int MaxValueLength = 4000;

    public async Task<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        Check(key, null);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        return await db.ChannelStates.Where(s => s.InstanceId == instanceId && s.Key == key).Select(s => s.Value).FirstOrDefaultAsync(cancellationToken);
    }

    public async Task SetAsync(string key, string? value, CancellationToken cancellationToken)
    {
        Check(key, value);
        for (var attempt = 0; ; attempt++)
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var now = time.GetUtcNow();
            if (value is null)
            {
                await db.ChannelStates.Where(s => s.InstanceId == instanceId && s.Key == key).ExecuteDeleteAsync(cancellationToken);
                return;
            }

            var updated = await db.ChannelStates.Where(s => s.InstanceId == instanceId && s.Key == key)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, value).SetProperty(x => x.UpdatedAt, now), cancellationToken);
            if (updated == 1 || await TryInsertAsync(db, key, value, now, cancellationToken))
            {
                return;
            }

            if (attempt >= 3)
            {
                // Another instance deletes and inserts it, again and again: say so rather than lose this value unseen.
                throw new InvalidOperationException($"Channel state '{key}' could not be set: other writers kept changing it.");
            }
        }
    }

    public async Task<bool> CompareAndSetAsync(string key, string? expected, string? value, CancellationToken cancellationToken)
    {
        Check(key, value);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (expected is null)
        {
            if (value is null)
            {
                return !await db.ChannelStates.AnyAsync(s => s.InstanceId == instanceId && s.Key == key, cancellationToken);
            }

            return await TryInsertAsync(db, key, value, now, cancellationToken);
        }

        var row = db.ChannelStates.Where(s => s.InstanceId == instanceId && s.Key == key && s.Value == expected);
        var changed = value is null
            ? await row.ExecuteDeleteAsync(cancellationToken)
            : await row.ExecuteUpdateAsync(s => s.SetProperty(x => x.Value, value).SetProperty(x => x.UpdatedAt, now), cancellationToken);
        return changed == 1;
    }

    public async Task<IChannelLease?> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 100)
        {
            throw new ArgumentException("A lease name is 1 to 100 characters.", nameof(name));
        }

        if (duration < TimeSpan.FromSeconds(1) || duration > TimeSpan.FromDays(1))
        {
            throw new ArgumentOutOfRangeException(nameof(duration), "A lease lasts from one second to one day.");
        }

        var lease = new Lease(this, name, duration);
        return await lease.TakeAsync(cancellationToken) ? lease : null;
    }

    /// <summary>Takes or extends the lease for this process: when it holds it, or nobody does, or the holder's ran out.</summary>
    private async Task<DateTimeOffset?> TakeAsync(string name, TimeSpan duration, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var until = now + duration;
        var taken = await db.ChannelLeases
            .Where(l => l.InstanceId == instanceId && l.Name == name && (l.Owner == me.Id || l.ExpiresAt <= now))
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.Owner, me.Id).SetProperty(x => x.ExpiresAt, until), cancellationToken);
        if (taken == 1)
        {
            return until;
        }

        try
        {
            db.ChannelLeases.Add(new ChannelLeaseEntry { InstanceId = instanceId, Name = name, Owner = me.Id, ExpiresAt = until });
            await db.SaveChangesAsync(cancellationToken);
            return until;
        }
        catch (DbUpdateException ex) when (dialect.IsUniqueViolation(ex.InnerException ?? ex))
        {
            // Somebody holds it.
            return null;
        }
    }

    private async Task ReleaseAsync(string name)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await db.ChannelLeases.Where(l => l.InstanceId == instanceId && l.Name == name && l.Owner == me.Id).ExecuteDeleteAsync();
    }

    private async Task<bool> TryInsertAsync(GatewayDbContext db, string key, string value, DateTimeOffset now, CancellationToken cancellationToken)
    {
        try
        {
            db.ChannelStates.Add(new ChannelStateEntry { InstanceId = instanceId, Key = key, Value = value, UpdatedAt = now });
            await db.SaveChangesAsync(cancellationToken);
            return true;
        }
        catch (DbUpdateException ex) when (dialect.IsUniqueViolation(ex.InnerException ?? ex))
        {
            db.ChangeTracker.Clear();
            return false;
        }
    }

    private static void Check(string key, string? value)
    {
        if (string.IsNullOrEmpty(key) || key.Length > MaxKeyLength)
        {
            throw new ArgumentException($"A channel state key is 1 to {MaxKeyLength} characters.", nameof(key));
        }

        if (value is { Length: > MaxValueLength })
        {
            throw new ArgumentException($"A channel state value is at most {MaxValueLength} characters; this one is {value.Length}.", nameof(value));
        }
    }

    private sealed class Lease(ChannelStateStore store, string name, TimeSpan duration) : IChannelLease
    {
        private bool _released;

        public string Name => name;

        public DateTimeOffset ExpiresAt { get; private set; }

        public async Task<bool> TakeAsync(CancellationToken cancellationToken)
        {
            if (_released || await store.TakeAsync(name, duration, cancellationToken) is not { } until)
            {
                return false;
            }

            ExpiresAt = until;
            return true;
        }

        public Task<bool> RenewAsync(CancellationToken cancellationToken) => TakeAsync(cancellationToken);

        public async ValueTask DisposeAsync()
        {
            if (!_released)
            {
                _released = true;
                try
                {
                    await store.ReleaseAsync(name);
                }
                catch (Exception)
                {
                    // It runs out on its own.
                }
            }
        }
    }
}

using System.Security.Cryptography;
using System.Text;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Plugins;

/// <summary>
/// The gateway's master secret: 256 random bits made once and kept in the store (GatewayKeys), so every
/// instance sharing the store, and every restart, derives the same channel keys from it. The first
/// instance to start inserts it; one that races it loses the insert and reads the winner's.
/// </summary>
internal sealed partial class GatewayKeyRing(IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, ILogger<GatewayKeyRing> logger)
{
    public const string MasterKeyName = "master";

    private readonly Lock _gate = new();
    private byte[]? _master;

    /// <summary>Reads the master secret, creating it if the store has none (run by StartupInitializer after the migrations).</summary>
    public async Task LoadAsync(CancellationToken cancellationToken)
    {
        if (_master is not null)
        {
            return;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var stored = await db.GatewayKeys.AsNoTracking().FirstOrDefaultAsync(k => k.Name == MasterKeyName, cancellationToken);
        if (stored is null)
        {
            db.GatewayKeys.Add(new GatewayKey { Name = MasterKeyName, Value = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)), CreatedAt = time.GetUtcNow() });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
                LogCreated(logger);
            }
            catch (DbUpdateException)
            {
                // Another instance inserted it first: theirs is the one.
            }

            db.ChangeTracker.Clear();
            stored = await db.GatewayKeys.AsNoTracking().FirstAsync(k => k.Name == MasterKeyName, cancellationToken);
        }

        lock (_gate)
        {
            _master ??= Convert.FromBase64String(stored.Value);
        }
    }

    /// <summary>A key for one channel instance and purpose (HKDF-SHA256 of the master secret).</summary>
    public byte[] Derive(string instanceId, string purpose)
    {
        if (_master is null)
        {
            // A channel asked before start-up loaded it (only in tests that skip the initializer).
            LoadAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        return HKDF.DeriveKey(HashAlgorithmName.SHA256, _master!, 32, salt: [], info: Encoding.UTF8.GetBytes($"chatgateway/channel/{instanceId}/{purpose}"));
    }

    [LoggerMessage(EventId = 1210, Level = LogLevel.Information, Message = "Created the gateway's master secret in the store (channel keys derive from it)")]
    private static partial void LogCreated(ILogger logger);
}

/// <summary>One channel instance's keys, cached by purpose.</summary>
internal sealed class ChannelKeys(GatewayKeyRing ring, string instanceId) : IChannelKeys
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public byte[] GetKey(string purpose)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(purpose);
        return _keys.GetOrAdd(purpose, p => ring.Derive(instanceId, p));
    }
}

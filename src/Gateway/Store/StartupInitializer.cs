using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// Runs before anything else starts: applies migrations, seeds the configured agents, and brings
/// Redis in step with the store (an embedded Garnet starts empty).
/// </summary>
internal sealed partial class StartupInitializer(
    IDbContextFactory<GatewayDbContext> dbFactory,
    IOptions<AgentsOptions> agents,
    IOptions<StoreOptions> store,
    RoutingRecoveryService recovery,
    Ingest.InboundWriter writer,
    Plugins.GatewayKeyRing keys,
    TimeProvider time,
    ILogger<StartupInitializer> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var databaseFile = store.Value.DatabaseFile;
        var folder = Path.GetDirectoryName(databaseFile);
        if (!string.IsNullOrEmpty(folder))
        {
            Directory.CreateDirectory(folder);
        }

        int enabledAgents;
        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            await MigrateAsync(db, cancellationToken);
            await SeedAgentsAsync(db, cancellationToken);
            enabledAgents = await db.Agents.CountAsync(a => a.Enabled, cancellationToken);
        }

        if (enabledAgents == 0)
        {
            LogNoAgents(logger);
        }

        await keys.LoadAsync(cancellationToken);
        LogStoreReady(logger, store.Value.Describe(), agents.Value.Seed.Count);
        writer.Start();
        try
        {
            await recovery.RecoverAsync(cancellationToken);
        }
        catch (StackExchange.Redis.RedisException ex)
        {
            // Start anyway: /healthz says Redis is down, and recovery runs again every minute.
            LogRedisDown(logger, ex);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Brings the store's schema up to date (also run by the create-agent command).</summary>
    public static async Task MigrateAsync(GatewayDbContext db, CancellationToken cancellationToken)
    {
        if (db.Database.IsNpgsql())
        {
            // PostgreSQL's migrations belong to their own context type (the same model); EF Core holds an advisory
            // lock while it migrates, so instances starting together migrate once.
            var options = new DbContextOptionsBuilder<PostgreSqlGatewayDbContext>().UseNpgsql(db.Database.GetConnectionString()).Options;
            await using var postgres = new PostgreSqlGatewayDbContext(options);
            await postgres.Database.MigrateAsync(cancellationToken);
            return;
        }

        // Migrations may compute a message's provider key (HashedProviderKey) on this connection.
        await db.Database.OpenConnectionAsync(cancellationToken);
        ((SqliteConnection)db.Database.GetDbConnection()).CreateFunction<string, long, string?, long?>(
            "provider_key", (instance, direction, id) => id is null ? null : Message.KeyOf(instance, (MessageDirection)direction, id), isDeterministic: true);
        await db.Database.MigrateAsync(cancellationToken);
    }

    /// <summary>
    /// Applies Agents:Seed. A seed entry is applied when it is new or changed since the last start (its
    /// fingerprint is kept as GatewayKey "seed:{userName}"), so a password re-hashed at sign-in or an edit
    /// made in the desk survives restarts until the configuration itself changes. Agents that came from
    /// configuration and left it are disabled; agents made by create-agent or a supervisor are not touched.
    /// </summary>
    private async Task SeedAgentsAsync(GatewayDbContext db, CancellationToken cancellationToken)
    {
        var seeds = agents.Value.Seed;
        var names = seeds.Select(s => s.UserName).ToHashSet();
        var markers = await db.GatewayKeys.Where(k => k.Name.StartsWith(SeedMarker)).ToDictionaryAsync(k => k.Name, cancellationToken);
        var now = time.GetUtcNow();
        foreach (var seed in seeds)
        {
            var fingerprint = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(seed)));
            var agent = await db.Agents.FirstOrDefaultAsync(a => a.UserName == seed.UserName, cancellationToken);
            markers.TryGetValue(SeedMarker + seed.UserName, out var marker);
            if (agent is not null && agent.FromConfiguration && marker?.Value == fingerprint)
            {
                continue;
            }

            if (agent is null)
            {
                agent = new Agent { Id = Guid.NewGuid(), UserName = seed.UserName, DisplayName = "", PasswordHash = "", Skills = "" };
                db.Agents.Add(agent);
            }

            agent.DisplayName = seed.DisplayName ?? seed.UserName;
            agent.PasswordHash = seed.PasswordHash;
            agent.Role = seed.Role;
            agent.Enabled = true;
            agent.FromConfiguration = true;
            agent.Skills = string.Join(',', seed.Skills.Select(s => s.Trim().ToLowerInvariant()));
            agent.MaxConcurrent = seed.MaxConcurrent;
            agent.ChannelCapacity = System.Text.Json.JsonSerializer.Serialize(seed.MaxConcurrentByChannel.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value));
            agent.Attributes = System.Text.Json.JsonSerializer.Serialize(seed.Attributes.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value));
            if (marker is null)
            {
                db.GatewayKeys.Add(new GatewayKey { Name = SeedMarker + seed.UserName, Value = fingerprint, CreatedAt = now });
            }
            else
            {
                marker.Value = fingerprint;
            }
        }

        // Before roles and create-agent (issue #16) every agent came from configuration; such an agent has no
        // PasswordChangedAt. Upgraded stores thus lose the old demo agents once appsettings.json no longer has them.
        foreach (var gone in await db.Agents.Where(a => (a.FromConfiguration || a.PasswordChangedAt == null) && a.Enabled).ToListAsync(cancellationToken))
        {
            if (!names.Contains(gone.UserName))
            {
                gone.Enabled = false;
                await AgentSessions.EndAllAsync(db, gone.Id, keep: null, now, cancellationToken);
                LogSeedRemoved(logger, gone.UserName);
            }
        }

        db.GatewayKeys.RemoveRange(markers.Values.Where(m => !names.Contains(m.Name[SeedMarker.Length..])));
        await db.SaveChangesAsync(cancellationToken);
    }

    private const string SeedMarker = "seed:";

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "There is no enabled agent, so nobody can sign in to the desk. Create the first: dotnet ChatGateway.Gateway.dll create-agent --user NAME --role supervisor --skills pre-sale [--name \"Display name\"] (the password is read from standard input; in a source checkout: dotnet run --project src/Gateway -- create-agent ...)")]
    private static partial void LogNoAgents(ILogger logger);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Agent {UserName} came from configuration and is no longer in Agents:Seed: disabled")]
    private static partial void LogSeedRemoved(ILogger logger, string userName);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Redis is not reachable at start-up; waiting conversations will be queued once it is")]
    private static partial void LogRedisDown(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Store ready at {Path}; {Count} configured agents")]
    private static partial void LogStoreReady(ILogger logger, string path, int count);
}

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

        await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
        {
            // Migrations may compute a message's provider key (HashedProviderKey) on this connection.
            await db.Database.OpenConnectionAsync(cancellationToken);
            ((SqliteConnection)db.Database.GetDbConnection()).CreateFunction<string, long, string?, long?>(
                "provider_key", (instance, direction, id) => id is null ? null : Message.KeyOf(instance, (MessageDirection)direction, id), isDeterministic: true);
            await db.Database.MigrateAsync(cancellationToken);
            foreach (var seed in agents.Value.Seed)
            {
                var agent = await db.Agents.FirstOrDefaultAsync(a => a.UserName == seed.UserName, cancellationToken);
                if (agent is null)
                {
                    agent = new Agent { Id = Guid.NewGuid(), UserName = seed.UserName, DisplayName = "", PasswordHash = "", Skills = "" };
                    db.Agents.Add(agent);
                }

                agent.DisplayName = seed.DisplayName ?? seed.UserName;
                agent.PasswordHash = seed.PasswordHash;
                agent.Role = seed.Role;
                agent.FromConfiguration = true;
                agent.Skills = string.Join(',', seed.Skills.Select(s => s.Trim().ToLowerInvariant()));
                agent.MaxConcurrent = seed.MaxConcurrent;
                agent.ChannelCapacity = System.Text.Json.JsonSerializer.Serialize(seed.MaxConcurrentByChannel.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value));
                agent.Attributes = System.Text.Json.JsonSerializer.Serialize(seed.Attributes.ToDictionary(p => p.Key.ToLowerInvariant(), p => p.Value));
            }

            await db.SaveChangesAsync(cancellationToken);
        }

        await keys.LoadAsync(cancellationToken);
        LogStoreReady(logger, databaseFile ?? "(in memory)", agents.Value.Seed.Count);
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

    [LoggerMessage(EventId = 1201, Level = LogLevel.Error, Message = "Redis is not reachable at start-up; waiting conversations will be queued once it is")]
    private static partial void LogRedisDown(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Store ready at {Path}; {Count} configured agents")]
    private static partial void LogStoreReady(ILogger logger, string path, int count);
}

using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Health;

/// <summary>
/// Proves the store writable when nothing else has lately: a real write (this instance's <c>health:{instance}</c>
/// row of GatewayKeys, in a transaction), reported to <see cref="StoreHealth"/> like every other write. It runs
/// only while no write has succeeded for <see cref="HealthOptions.StoreProbeInterval"/>, so a busy instance pays
/// nothing, and an idle one on a full disk or a read-only database still leaves the load balancer.
/// </summary>
internal sealed partial class StoreWriteProbe(
    IDbContextFactory<GatewayDbContext> dbFactory,
    StoreHealth storeHealth,
    GatewayInstance instance,
    IOptions<HealthOptions> options,
    TimeProvider time,
    ILogger<StoreWriteProbe> logger) : BackgroundService
{
    private const string KeyPrefix = "health:";

    /// <summary>Rows of instances that stopped probing this long ago are removed (each process is a new instance).</summary>
    private static readonly TimeSpan Forgotten = TimeSpan.FromDays(1);

    private long _inFlightSinceTicks;
    private bool _failing;

    /// <summary>When the probe write now running began; null when none runs.</summary>
    public DateTimeOffset? InFlightSince
    {
        get
        {
            var ticks = Interlocked.Read(ref _inFlightSinceTicks);
            return ticks == 0 ? null : new DateTimeOffset(ticks, TimeSpan.Zero);
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.StoreProbeInterval;
        // Probes only when nothing else wrote lately: a busy store proves itself.
        return Periodic.RunAsync(
            time,
            interval,
            ct => storeHealth.Failing || storeHealth.LastSuccess is not { } last || time.GetUtcNow() - last >= interval ? ProbeAsync(ct) : Task.CompletedTask,
            ex => LogFailing(logger, ex), // ProbeAsync reports its own failures; this is for the unexpected
            stoppingToken,
            runFirst: true);
    }

    internal async Task ProbeAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        Interlocked.Exchange(ref _inFlightSinceTicks, now.UtcTicks);
        try
        {
            await WriteAsync(now, cancellationToken);
            storeHealth.WriteSucceeded();
            if (_failing)
            {
                _failing = false;
                LogRecovered(logger);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // stopping
        }
        catch (Exception ex)
        {
            storeHealth.WriteFailed(ex);
            if (!_failing)
            {
                _failing = true;
                LogFailing(logger, ex);
            }
        }
        finally
        {
            Interlocked.Exchange(ref _inFlightSinceTicks, 0);
        }
    }

    private async Task WriteAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var name = KeyPrefix + instance.Id;
        var stamp = now.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // CreatedAt of a health row is when its instance last proved the store writable.
        var updated = await db.GatewayKeys.Where(k => k.Name == name)
            .ExecuteUpdateAsync(s => s.SetProperty(k => k.Value, stamp).SetProperty(k => k.CreatedAt, now), cancellationToken);
        if (updated == 0)
        {
            // This instance's first probe: the rows of instances long gone go.
            var forgotten = now - Forgotten;
            await db.GatewayKeys.Where(k => k.Name.StartsWith(KeyPrefix) && k.CreatedAt < forgotten).ExecuteDeleteAsync(cancellationToken);
            db.GatewayKeys.Add(new GatewayKey { Name = name, Value = stamp, CreatedAt = now });
            await db.SaveChangesAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    [LoggerMessage(EventId = 1220, Level = LogLevel.Warning, Message = "The store refuses writes; readiness reports it until a write succeeds")]
    private static partial void LogFailing(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1221, Level = LogLevel.Information, Message = "The store takes writes again")]
    private static partial void LogRecovered(ILogger logger);
}

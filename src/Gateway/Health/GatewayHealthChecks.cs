using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Store;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Health;

/// <summary>
/// The store takes writes: the newest write outcome (any writer's, or <see cref="StoreWriteProbe"/>'s) succeeded,
/// and no probe write has been waiting longer than <see cref="HealthOptions.StoreWriteTimeout"/>. Being able to
/// connect is not enough: a full disk or a read-only database answers reads and refuses every message.
/// </summary>
internal sealed class StoreHealthCheck(StoreHealth storeHealth, StoreWriteProbe probe, IOptions<HealthOptions> options, TimeProvider time) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (probe.InFlightSince is { } since && time.GetUtcNow() - since is var waited && waited >= options.Value.StoreWriteTimeout)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"a write has waited {waited.TotalSeconds:0} s"));
        }

        return Task.FromResult(storeHealth.Failing
            ? HealthCheckResult.Unhealthy($"writes failing ({storeHealth.LastFailureKind})")
            : HealthCheckResult.Healthy());
    }
}

/// <summary>Redis (or the embedded Garnet) answers a PING: routing, presence and live fan-out all go through it.</summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            var database = await redis.GetDatabaseAsync().WaitAsync(cancellationToken);
            await database.PingAsync().WaitAsync(cancellationToken);
            return HealthCheckResult.Healthy();
        }
        catch (Exception ex)
        {
            return HealthCheckResult.Unhealthy(ex.GetType().Name);
        }
    }
}

/// <summary>Every enabled channel runs and says it is ready; its data holds each channel's state by instance id.</summary>
internal sealed class ChannelsHealthCheck(ChannelRegistry channels) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var problems = await CheckReadinessAsync(cancellationToken);
        var states = channels.Channels.Where(c => c.Entry.Enabled)
            .ToDictionary(c => c.Entry.Id, c => (object)(problems.TryGetValue(c.Entry.Id, out var reason) ? reason : "ok"));
        return problems.Count == 0
            ? HealthCheckResult.Healthy(data: states)
            : HealthCheckResult.Unhealthy("channels not ready", data: states);
    }

    /// <summary>Empty when every enabled instance runs and its IChannelReadiness checks pass; otherwise the reasons by instance.</summary>
    private async Task<Dictionary<string, string>> CheckReadinessAsync(CancellationToken cancellationToken)
    {
        var problems = new Dictionary<string, string>();
        foreach (var channel in channels.Channels.Where(c => c.Entry.Enabled))
        {
            if (channel.State != "running")
            {
                problems[channel.Entry.Id] = channel.Error ?? channel.State;
                continue;
            }

            foreach (var readiness in channel.Services!.GetServices<IChannelReadiness>())
            {
                var reason = await readiness.CheckAsync(cancellationToken);
                if (reason is not null)
                {
                    problems[channel.Entry.Id] = reason;
                }
            }
        }

        return problems;
    }
}

using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Keeps Redis and the store in step. Runs at start (an embedded Garnet starts empty, a crash may have cut a
/// hand-off short) and then every <see cref="RoutingOptions.RecoveryInterval"/> (a minute), on every instance.
/// A failed hand-off is retried sooner by <see cref="HandOffRetryService"/>.
/// </summary>
/// <remarks>
/// Where the two disagree, Redis is the source of truth whenever it holds a decision about the conversation (an
/// agent, or a place in a queue): every routing decision is made there first, atomically, and written to the store
/// after, so a crash between the two can only leave the store behind, never ahead. The store follows, through an
/// update that only applies while the row still says what this pass read, so instances recovering at once record
/// it once. Only where Redis holds nothing about an open conversation (a replacement node, a lost AOF, a hand-off
/// that never reached it) is the store the only record, and Redis is rebuilt from it. A conversation the store has
/// closed is released from Redis (a close whose release was cut short), so it stops counting in its agent's load.
/// </remarks>
internal sealed partial class RoutingRecoveryService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    RedisRoutingStore store,
    ConversationRouter router,
    Plugins.ChannelRegistry channels,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<RoutingRecoveryService> logger) : BackgroundService
{
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var open = await db.Conversations
            .Where(c => c.Status == ConversationStatus.Waiting || c.Status == ConversationStatus.Assigned)
            .Select(c => new { c.Id, c.Status, c.Skill, c.Priority, c.AssignedAgentId, c.CreatedAt, c.LastInstanceId })
            .ToListAsync(cancellationToken);

        var requeued = 0;
        var followed = 0;
        foreach (var c in open)
        {
            var recorded = c.Status == ConversationStatus.Assigned ? c.AssignedAgentId : null;
            var held = await store.GetHeldAsync(c.Id);
            if (held.HoldsDecision)
            {
                if ((held.AgentId != recorded || held.Skill != c.Skill) && await router.FollowRedisAsync(c.Id, recorded, c.Skill, held))
                {
                    followed++;
                }

                continue;
            }

            if (recorded is { } agentId)
            {
                // A decision Redis made since the read above wins over this one (the script checks); the next pass records it.
                await store.RestoreAssignedAsync(c.Id, agentId, c.Skill, channels.ChannelTypeOf(c.LastInstanceId));
            }
            else
            {
                await router.EnqueueAsync(c.Id, c.Skill, c.Priority, c.CreatedAt, channelType: channels.ChannelTypeOf(c.LastInstanceId));
                requeued++;
            }
        }

        var released = await ReleaseClosedAsync(db, cancellationToken);
        if (requeued > 0 || followed > 0 || released > 0)
        {
            LogReconciled(logger, requeued, followed, released);
        }
    }

    /// <summary>Releases conversations Redis counts in an agent's load that the store has closed; returns how many.</summary>
    private async Task<int> ReleaseClosedAsync(GatewayDbContext db, CancellationToken cancellationToken)
    {
        var released = 0;
        foreach (var agentId in await db.Agents.Select(a => a.Id).ToListAsync(cancellationToken))
        {
            var held = await store.GetConversationsOfAsync(agentId);
            if (held.Count == 0)
            {
                continue;
            }

            var stillOpen = await db.Conversations
                .Where(c => held.Contains(c.Id) && (c.Status == ConversationStatus.Waiting || c.Status == ConversationStatus.Assigned))
                .Select(c => c.Id)
                .ToListAsync(cancellationToken);
            foreach (var closed in held.Except(stillOpen))
            {
                await router.ReleaseAsync(closed);
                released++;
            }
        }

        return released;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(time, options.Value.RecoveryInterval, RecoverAsync, ex => LogFailed(logger, ex), stoppingToken);

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Routing recovery: requeued {Requeued} waiting conversations Redis did not hold, recorded {Followed} decisions the store had missed, released {Released} closed conversations Redis still held")]
    private static partial void LogReconciled(ILogger logger, int requeued, int followed, int released);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Routing recovery failed; will try again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

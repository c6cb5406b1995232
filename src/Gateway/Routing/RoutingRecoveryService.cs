using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Keeps Redis in step with the store, which is the record: every waiting conversation is queued and
/// every assignment is held. Runs at start (an embedded Garnet starts empty, a crash may have cut a
/// hand-off short) and then every <see cref="RoutingOptions.RecoveryInterval"/> (a minute).
/// A failed hand-off is retried sooner by <see cref="HandOffRetryService"/>.
/// </summary>
internal sealed partial class RoutingRecoveryService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    RedisRoutingStore store,
    ConversationRouter router,
    Plugins.ChannelHost channels,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<RoutingRecoveryService> logger) : BackgroundService
{
    public async Task RecoverAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var open = await db.Conversations
            .Where(c => c.Status != ConversationStatus.Closed)
            .Select(c => new { c.Id, c.Status, c.Skill, c.Priority, c.AssignedAgentId, c.CreatedAt, c.LastInstanceId })
            .ToListAsync(cancellationToken);

        var requeued = 0;
        foreach (var c in open)
        {
            if (c.Status == ConversationStatus.Assigned && c.AssignedAgentId is { } agentId)
            {
                // Null: Redis has it waiting again (requeued after this read, or a requeue whose store update was
                // cut short): the store follows Redis, never the other way round.
                // Only a row that still names that agent is changed, so a newer assignment is never overwritten.
                if (await store.RestoreAssignedAsync(c.Id, agentId, c.Skill, channels.ChannelTypeOf(c.LastInstanceId)) is null)
                {
                    await db.Conversations
                        .Where(x => x.Id == c.Id && x.Status == ConversationStatus.Assigned && x.AssignedAgentId == agentId)
                        .ExecuteUpdateAsync(u => u.SetProperty(x => x.Status, ConversationStatus.Waiting).SetProperty(x => x.AssignedAgentId, (Guid?)null).SetProperty(x => x.AssignedAt, (DateTimeOffset?)null), cancellationToken);
                }

                continue;
            }

            // Waiting in the store: Redis may already have assigned it (the store update was cut short).
            var agent = await store.GetAssignedAgentAsync(c.Id);
            if (agent is { } assigned)
            {
                await router.ApplyAsync([new Assignment(c.Id, assigned)]);
            }
            else if (!await store.IsWaitingAsync(c.Id, c.Skill))
            {
                await router.EnqueueAsync(c.Id, c.Skill, c.Priority, c.CreatedAt, channelType: channels.ChannelTypeOf(c.LastInstanceId));
                requeued++;
            }
        }

        if (requeued > 0)
        {
            LogRequeued(logger, requeued);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.RecoveryInterval, time);
        while (await WaitAsync(timer, stoppingToken))
        {
            try
            {
                await RecoverAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken stoppingToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 3100, Level = LogLevel.Warning, Message = "Requeued {Count} waiting conversations that Redis did not hold")]
    private static partial void LogRequeued(ILogger logger, int count);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Error, Message = "Routing recovery failed; will try again")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

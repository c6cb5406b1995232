using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace ChatGateway.Gateway.FollowUps.Scheduling;

/// <summary>
/// Keeps Quartz's triggers and the follow-up rows in step, once per cluster (at start-up and every minute): a planned
/// follow-up without a trigger (the process stopped between committing it and scheduling it) gets one; a trigger whose
/// follow-up is no longer planned is removed.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class ReconcileFollowUpsJob(
    IDbContextFactory<GatewayDbContext> dbFactory,
    IFollowUpScheduler scheduler,
    ILogger<ReconcileFollowUpsJob> logger) : IJob
{
    public static readonly JobKey Key = new("reconcile", QuartzFollowUpScheduler.Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var schedulerName = context.Scheduler.SchedulerName;
        var triggers = (await db.Database
            .SqlQueryRaw<string>("SELECT TRIGGER_NAME AS \"Value\" FROM QRTZ_TRIGGERS WHERE SCHED_NAME = {0} AND TRIGGER_GROUP = {1}", schedulerName, QuartzFollowUpScheduler.Group)
            .ToListAsync(cancellationToken))
            .Select(name => Guid.TryParseExact(name, "N", out var id) ? id : Guid.Empty)
            .Where(id => id != Guid.Empty)
            .ToHashSet();
        var planned = (await db.FollowUps.AsNoTracking().Where(f => f.Status == FollowUpStatus.Planned).Select(f => f.Id).ToListAsync(cancellationToken)).ToHashSet();
        var missing = planned.Where(id => !triggers.Contains(id)).ToList();
        var stray = triggers.Where(id => !planned.Contains(id)).ToList();
        if (missing.Count + stray.Count > 0)
        {
            await scheduler.SyncAsync([.. missing, .. stray], cancellationToken);
            LogReconciled(logger, missing.Count, stray.Count);
        }
    }

    [LoggerMessage(EventId = 7210, Level = LogLevel.Warning, Message = "Follow-up triggers reconciled: {Missing} planned follow-ups had none, {Stray} triggers had no planned follow-up")]
    private static partial void LogReconciled(ILogger logger, int missing, int stray);
}

/// <summary>Plans the day's greetings shortly after midnight, shop time, once per cluster.</summary>
[DisallowConcurrentExecution]
internal sealed class PlanGreetingsJob(IFollowUpPlanner planner, ShopTime shop, TimeProvider time) : IJob
{
    public static readonly JobKey Key = new("greetings", QuartzFollowUpScheduler.Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await planner.PlanGreetingsAsync(shop.DayOf(time.GetUtcNow()), cancellationToken);
}

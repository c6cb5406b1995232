using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace ChatGateway.Gateway.FollowUps.Scheduling;

/// <summary>
/// Keeps Quartz's triggers and the follow-up rows in step, once per cluster (at start-up and every minute): a second
/// with planned follow-ups and no trigger (the process stopped between committing a follow-up and scheduling its
/// second, or a fire failed) gets one; one in the past fires at once. Triggers of seconds with nothing planned are left
/// to fire and find nothing.
/// </summary>
[DisallowConcurrentExecution]
internal sealed partial class ReconcileFollowUpsJob(
    IDbContextFactory<GatewayDbContext> dbFactory,
    QuartzFollowUpScheduler scheduler,
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
            .Select(name => QuartzFollowUpScheduler.SecondOf(new TriggerKey(name, QuartzFollowUpScheduler.Group)))
            .OfType<long>()
            .ToHashSet();
        // Seconds of the planned follow-ups, a page of the partial index at a time (never every row at once).
        var missing = new HashSet<long>();
        var after = DateTimeOffset.MinValue;
        while (true)
        {
            var page = await db.FollowUps.AsNoTracking()
                .Where(f => f.Status == FollowUpStatus.Planned && f.DueAt > after)
                .OrderBy(f => f.DueAt)
                .Select(f => f.DueAt)
                .Take(5_000)
                .ToListAsync(cancellationToken);
            if (page.Count == 0)
            {
                break;
            }

            foreach (var second in page.Select(QuartzFollowUpScheduler.SecondOf).Where(s => !triggers.Contains(s)))
            {
                missing.Add(second);
            }

            // The next page starts after the last second seen (rows sharing it are covered by it).
            after = DateTimeOffset.FromUnixTimeSeconds(QuartzFollowUpScheduler.SecondOf(page[^1]) + 1).AddTicks(-1);
        }

        if (missing.Count > 0)
        {
            await scheduler.EnsureAsync(missing, cancellationToken);
            LogReconciled(logger, missing.Count);
        }
    }

    [LoggerMessage(EventId = 7210, Level = LogLevel.Warning, Message = "Follow-up triggers reconciled: {Missing} seconds with planned follow-ups had no trigger")]
    private static partial void LogReconciled(ILogger logger, int missing);
}

/// <summary>Plans the day's greetings shortly after midnight, shop time, once per cluster.</summary>
[DisallowConcurrentExecution]
internal sealed class PlanGreetingsJob(IFollowUpPlanner planner, ShopTime shop, TimeProvider time) : IJob
{
    public static readonly JobKey Key = new("greetings", QuartzFollowUpScheduler.Group);

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default) =>
        await planner.PlanGreetingsAsync(shop.DayOf(time.GetUtcNow()), cancellationToken);
}

using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace ChatGateway.Gateway.FollowUps.Scheduling;

/// <summary>
/// One Quartz trigger per planned follow-up (group <see cref="Group"/>, named by the follow-up's id) at its due time, for
/// the one durable job <see cref="FollowUpJob"/>. Quartz keeps them in the store's database, so they survive restarts, and
/// on several instances the clustered job store fires each once.
/// </summary>
internal sealed partial class QuartzFollowUpScheduler(
    ISchedulerFactory schedulers,
    IDbContextFactory<GatewayDbContext> dbFactory,
    ILogger<QuartzFollowUpScheduler> logger) : IFollowUpScheduler
{
    public const string Group = "follow-ups";
    public static readonly JobKey Job = new("follow-up", Group);

    public async Task SyncAsync(IReadOnlyCollection<Guid> followUpIds, CancellationToken cancellationToken)
    {
        if (followUpIds.Count == 0)
        {
            return;
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        foreach (var chunk in followUpIds.Distinct().Chunk(500))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var rows = await db.FollowUps.AsNoTracking()
                .Where(f => chunk.Contains(f.Id))
                .Select(f => new { f.Id, f.Status, f.DueAt })
                .ToListAsync(cancellationToken);
            var planned = rows.Where(r => r.Status == FollowUpStatus.Planned).ToList();
            var done = chunk.Except(planned.Select(p => p.Id)).Select(KeyOf).ToList();
            if (planned.Count > 0)
            {
                var detail = await scheduler.GetJobDetail(Job, cancellationToken)
                    ?? throw new InvalidOperationException("The follow-up job is not registered with the scheduler.");
                var triggers = planned.Select(p => Trigger(p.Id, p.DueAt)).ToList();
                await scheduler.ScheduleJobs(new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [detail] = triggers }, ScheduleJobOptions.Replacing, cancellationToken);
            }

            if (done.Count > 0)
            {
                await scheduler.UnscheduleJobs(done, cancellationToken);
            }

            LogSynced(logger, planned.Count, done.Count);
        }
    }

    public static TriggerKey KeyOf(Guid followUpId) => new(followUpId.ToString("N"), Group);

    public static ITrigger Trigger(Guid followUpId, DateTimeOffset dueAt) => TriggerBuilder.Create()
        .WithIdentity(KeyOf(followUpId))
        .ForJob(Job)
        .StartAt(dueAt)
        .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
        .Build();

    [LoggerMessage(EventId = 7200, Level = LogLevel.Debug, Message = "Follow-up triggers: {Scheduled} scheduled, {Removed} removed")]
    private static partial void LogSynced(ILogger logger, int scheduled, int removed);
}

/// <summary>Fires the follow-up its trigger is named after.</summary>
internal sealed class FollowUpJob(IFollowUpFirer firer) : IJob
{
    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        if (Guid.TryParseExact(context.Trigger.Key.Name, "N", out var id))
        {
            await firer.FireAsync(id, cancellationToken);
        }
    }
}

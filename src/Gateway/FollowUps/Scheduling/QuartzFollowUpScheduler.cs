using System.Collections.Concurrent;
using System.Globalization;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Quartz;

namespace ChatGateway.Gateway.FollowUps.Scheduling;

/// <summary>
/// One Quartz trigger per second that has planned follow-ups due in it (group <see cref="Group"/>, named
/// <c>due-{unix seconds}</c>), <see cref="Lead"/> before that second, for the one durable job <see cref="FollowUpJob"/>, which
/// fires that second's follow-ups each at its time. Quartz keeps the triggers in the store's database, so they survive
/// restarts, and on several instances the clustered job store fires each once; the follow-up rows say what is due. A
/// trigger per second instead of per follow-up keeps Quartz's own writes (taking, firing and completing a trigger) to a
/// few a second however many follow-ups fall due: a thousand a second are fired in batches, each one transaction.
/// </summary>
internal sealed partial class QuartzFollowUpScheduler(
    ISchedulerFactory schedulers,
    IDbContextFactory<GatewayDbContext> dbFactory,
    TimeProvider time,
    ILogger<QuartzFollowUpScheduler> logger) : IFollowUpScheduler
{
    public const string Group = "follow-ups";
    public static readonly JobKey Job = new("follow-up", Group);

    /// <summary>
    /// Seconds this instance scheduled a trigger for, still ahead: planning another follow-up into one of them needs no
    /// write to the job store. Only seconds at least <see cref="KnownAhead"/> away are trusted (a trigger that fired on
    /// another instance is gone; its second is in the past by then).
    /// </summary>
    private readonly ConcurrentDictionary<long, byte> _scheduled = new();
    private static readonly TimeSpan KnownAhead = TimeSpan.FromSeconds(5);

    public async Task SyncAsync(IReadOnlyCollection<Guid> followUpIds, CancellationToken cancellationToken)
    {
        if (followUpIds.Count == 0)
        {
            return;
        }

        var seconds = new HashSet<long>();
        foreach (var chunk in followUpIds.Distinct().Chunk(500))
        {
            await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
            var dues = await db.FollowUps.AsNoTracking()
                .Where(f => chunk.Contains(f.Id) && f.Status == FollowUpStatus.Planned)
                .Select(f => f.DueAt)
                .ToListAsync(cancellationToken);
            seconds.UnionWith(dues.Select(SecondOf));
        }

        await EnsureAsync(seconds, cancellationToken);
    }

    /// <summary>Makes sure each of these seconds has its trigger (one in the past fires at once).</summary>
    public async Task EnsureAsync(IReadOnlyCollection<long> seconds, CancellationToken cancellationToken)
    {
        var trustFrom = SecondOf(time.GetUtcNow() + KnownAhead);
        var missing = seconds.Where(s => s < trustFrom || !_scheduled.ContainsKey(s)).ToList();
        if (missing.Count == 0)
        {
            return;
        }

        var scheduler = await schedulers.GetScheduler(cancellationToken);
        var detail = await scheduler.GetJobDetail(Job, cancellationToken)
            ?? throw new InvalidOperationException("The follow-up job is not registered with the scheduler.");
        // Replacing: a second whose trigger is firing right now gets a next fire time, so it fires again for what was
        // just added to it instead of being deleted when the running fire completes.
        await scheduler.ScheduleJobs(
            new Dictionary<IJobDetail, IReadOnlyCollection<ITrigger>> { [detail] = missing.Select(Trigger).ToList() }, ScheduleJobOptions.Replacing, cancellationToken);
        foreach (var second in missing.Where(s => s >= trustFrom))
        {
            _scheduled[second] = 0;
        }

        // Forget seconds that have passed.
        if (_scheduled.Count > 10_000)
        {
            foreach (var old in _scheduled.Keys.Where(s => s < trustFrom))
            {
                _scheduled.TryRemove(old, out _);
            }
        }

        LogSynced(logger, missing.Count);
    }

    /// <summary>
    /// How long before its second a trigger fires. The job then waits for each follow-up's time itself, so Quartz's
    /// own moment of firing (its job-store writes wait their turn for the store's writer while a thousand follow-ups a
    /// second are fired and sent) does not make them late.
    /// </summary>
    public static readonly TimeSpan Lead = TimeSpan.FromSeconds(2);

    public static long SecondOf(DateTimeOffset dueAt) => dueAt.ToUnixTimeSeconds();

    public static TriggerKey KeyOf(long second) => new("due-" + second.ToString(CultureInfo.InvariantCulture), Group);

    /// <summary>The second a trigger stands for, or null for a trigger of another kind.</summary>
    public static long? SecondOf(TriggerKey key) =>
        key.Group == Group && key.Name.StartsWith("due-", StringComparison.Ordinal)
        && long.TryParse(key.Name.AsSpan(4), NumberStyles.Integer, CultureInfo.InvariantCulture, out var second) ? second : null;

    public static ITrigger Trigger(long second) => TriggerBuilder.Create()
        .WithIdentity(KeyOf(second))
        .ForJob(Job)
        .StartAt(DateTimeOffset.FromUnixTimeSeconds(second) - Lead)
        .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.FireNow))
        .Build();

    [LoggerMessage(EventId = 7200, Level = LogLevel.Debug, Message = "Follow-up triggers: {Scheduled} seconds scheduled")]
    private static partial void LogSynced(ILogger logger, int scheduled);
}

/// <summary>
/// Fires the follow-ups due in its trigger's second, each at its time: what is due now in one batch, then waits for
/// the next one in the second, until none is planned in it. (A trigger named by a follow-up's id, as stores from
/// before kept them, fires that follow-up.)
/// </summary>
internal sealed class FollowUpJob(IFollowUpFirer firer, IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time) : IJob
{
    /// <summary>Follow-ups fired in one transaction at most.</summary>
    public const int BatchSize = 200;

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken = default)
    {
        if (Guid.TryParseExact(context.Trigger.Key.Name, "N", out var id))
        {
            await firer.FireAsync(id, cancellationToken);
            return;
        }

        if (QuartzFollowUpScheduler.SecondOf(context.Trigger.Key) is not { } second)
        {
            return;
        }

        var start = DateTimeOffset.FromUnixTimeSeconds(second);
        var end = start.AddSeconds(1);
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = time.GetUtcNow();
            List<(Guid Id, DateTimeOffset DueAt)> planned;
            await using (var db = await dbFactory.CreateDbContextAsync(cancellationToken))
            {
                planned = (await db.FollowUps.AsNoTracking()
                    .Where(f => f.Status == FollowUpStatus.Planned && f.DueAt >= start && f.DueAt < end)
                    .OrderBy(f => f.DueAt)
                    .Select(f => new { f.Id, f.DueAt })
                    .Take(BatchSize)
                    .ToListAsync(cancellationToken))
                    .Select(f => (f.Id, f.DueAt)).ToList();
            }

            if (planned.Count == 0)
            {
                return;
            }

            var due = planned.Where(f => f.DueAt <= now).Select(f => f.Id).ToList();
            if (due.Count == 0)
            {
                await Task.Delay(planned[0].DueAt - now, time, cancellationToken);
                continue;
            }

            var fired = await firer.FireAsync(due, cancellationToken);
            if (fired.Count(f => f is not null) == 0 && due.Count == planned.Count && planned.Count < BatchSize)
            {
                // None of them could be fired now (each is moved, or claimed elsewhere): they have their new triggers.
                return;
            }
        }
    }
}

using ChatGateway.Gateway.Orders;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.FollowUps.Callbacks;

/// <summary>What became of moving or cancelling a promise: the ids of the rows changed, or the answer's status and reason.</summary>
internal sealed record PromiseChange(IReadOnlyList<Guid> Changed, int Status = StatusCodes.Status200OK, string? Error = null)
{
    public static PromiseChange Refused(int status, string error) => new([], status, error);
}

/// <summary>
/// A promise is two follow-ups of kind <c>callback</c>: step 1 reminds the agent <see cref="CallbackOptions.RemindBefore"/>
/// before, step 2 checks at the promised time (made together: same conversation, agent and creation time). Moving or
/// cancelling either moves or cancels both, in one transaction, and only while the promise itself is planned.
/// </summary>
internal static class PromiseChanges
{
    /// <summary>
    /// Moves the promise of <paramref name="addressed"/>: to <paramref name="dueAt"/> when it is the promise, to
    /// <paramref name="dueAt"/> + RemindBefore when it is the reminder (the time asked for is the row's own). The reminder
    /// goes to RemindBefore before the new time, at once when that is past (as when a promise is made close to its time),
    /// and is planned again when it already went out: an agent who moved a promise is reminded of its new time.
    /// </summary>
    public static async Task<PromiseChange> MoveAsync(
        GatewayDbContext db, FollowUp addressed, DateTimeOffset dueAt, TimeSpan remindBefore, Guid agent, DateTimeOffset now, CancellationToken ct)
    {
        var promised = addressed.Step == 1 ? dueAt + remindBefore : dueAt;
        if (promised > now + CallbackEndpoints.MaxAhead)
        {
            return PromiseChange.Refused(
                StatusCodes.Status400BadRequest,
                addressed.Step == 1 ? "dueAt puts the promise more than 30 days ahead" : "dueAt is more than 30 days ahead");
        }

        var remindAt = promised - remindBefore < now ? now : promised - remindBefore;
        return await InPairAsync(db, addressed, ct, async (promise, reminders) =>
        {
            var moved = await db.FollowUps.Where(f => f.Id == promise.Id && f.Status == FollowUpStatus.Planned)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(f => f.DueAt, promised.ToUniversalTime())
                    .SetProperty(f => f.Reason, "moved by an agent")
                    .SetProperty(f => f.UpdatedAt, now)
                    .SetProperty(f => f.ChangedByAgentId, agent), ct);
            if (moved == 0)
            {
                return null;
            }

            var changed = new List<Guid> { promise.Id };
            foreach (var reminder in reminders)
            {
                changed.Add(reminder.Id);
                await db.FollowUps.Where(f => f.Id == reminder.Id && f.Status == FollowUpStatus.Planned)
                    .ExecuteUpdateAsync(s => s
                        .SetProperty(f => f.DueAt, remindAt.ToUniversalTime())
                        .SetProperty(f => f.Reason, "moved with its promise")
                        .SetProperty(f => f.UpdatedAt, now)
                        .SetProperty(f => f.ChangedByAgentId, agent), ct);
            }

            if (reminders.Count == 0)
            {
                var again = new FollowUp
                {
                    Id = Ids.NewVersion7(now),
                    Kind = FollowUpKinds.Callback,
                    Rule = promise.Rule,
                    Step = 1,
                    ContactId = promise.ContactId,
                    ConversationId = promise.ConversationId,
                    AgentId = promise.AgentId,
                    DueAt = remindAt.ToUniversalTime(),
                    Status = FollowUpStatus.Planned,
                    Reason = "the promise was moved",
                    Note = promise.Note,
                    // The pair is found by its creation time: the new reminder belongs to the same promise.
                    CreatedAt = promise.CreatedAt,
                    UpdatedAt = now,
                    ChangedByAgentId = agent,
                };
                db.FollowUps.Add(again);
                await db.SaveChangesAsync(ct);
                changed.Add(again.Id);
            }

            return changed;
        });
    }

    /// <summary>Cancels the promise of <paramref name="addressed"/> and its reminder (when it has not gone out yet), with the agent's reason.</summary>
    public static async Task<PromiseChange> CancelAsync(GatewayDbContext db, FollowUp addressed, string reason, Guid agent, DateTimeOffset now, CancellationToken ct) =>
        await InPairAsync(db, addressed, ct, async (promise, reminders) =>
        {
            var ids = reminders.Select(r => r.Id).Prepend(promise.Id).ToList();
            var cancelled = await db.FollowUps.Where(f => f.Id == promise.Id && f.Status == FollowUpStatus.Planned)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(f => f.Status, FollowUpStatus.Cancelled)
                    .SetProperty(f => f.Reason, reason)
                    .SetProperty(f => f.DoneAt, now)
                    .SetProperty(f => f.UpdatedAt, now)
                    .SetProperty(f => f.ChangedByAgentId, agent), ct);
            if (cancelled == 0)
            {
                return null;
            }

            await db.FollowUps.Where(f => ids.Contains(f.Id) && f.Id != promise.Id && f.Status == FollowUpStatus.Planned)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(f => f.Status, FollowUpStatus.Cancelled)
                    .SetProperty(f => f.Reason, reason)
                    .SetProperty(f => f.DoneAt, now)
                    .SetProperty(f => f.UpdatedAt, now)
                    .SetProperty(f => f.ChangedByAgentId, agent), ct);
            return ids;
        });

    /// <summary>
    /// Runs <paramref name="change"/> on the promise and its planned reminders in one transaction; it returns null when the
    /// promise stopped being planned meanwhile (the scheduler fired it), and then nothing is changed.
    /// </summary>
    private static async Task<PromiseChange> InPairAsync(
        GatewayDbContext db, FollowUp addressed, CancellationToken ct, Func<FollowUp, List<FollowUp>, Task<List<Guid>?>> change)
    {
        var promise = addressed.Step == 2 ? addressed : await CallbackHandler.PromiseOfAsync(addressed, db, ct);
        if (promise is null)
        {
            return PromiseChange.Refused(StatusCodes.Status409Conflict, "the reminder's promise is gone");
        }

        if (promise.Status != FollowUpStatus.Planned)
        {
            return PromiseChange.Refused(StatusCodes.Status409Conflict, $"the promise is {FollowUpMapping.PromiseState(promise.Status)} already");
        }

        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        var reminders = await db.FollowUps.AsNoTracking()
            .Where(f => f.Kind == FollowUpKinds.Callback && f.Step == 1 && f.ConversationId == promise.ConversationId
                && f.CreatedAt == promise.CreatedAt && f.AgentId == promise.AgentId && f.Status == FollowUpStatus.Planned)
            .ToListAsync(ct);
        var changed = await change(promise, reminders);
        if (changed is null)
        {
            await transaction.RollbackAsync(ct);
            return PromiseChange.Refused(StatusCodes.Status409Conflict, "the promise came due or was changed meanwhile");
        }

        await transaction.CommitAsync(ct);
        return new PromiseChange(changed);
    }
}

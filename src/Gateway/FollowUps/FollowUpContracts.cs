using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.FollowUps;

/// <summary>How a due follow-up ended: sent, or skipped with the reason (cancelled ones never fire).</summary>
internal sealed record FollowUpOutcome(FollowUpStatus Status, string? Reason = null, string? Channel = null)
{
    public static FollowUpOutcome Sent(string channel) => new(FollowUpStatus.Sent, null, channel);

    public static FollowUpOutcome Skipped(string reason) => new(FollowUpStatus.Skipped, reason);
}

/// <summary>
/// Plans follow-ups when their cause happens, by the configured rules, into the caller's unit of work: rows are added
/// to (or cancelled in) <c>db</c> and saved by the caller with everything else the event changed, so nothing is
/// half-applied. The caller hands the returned ids to <see cref="IFollowUpScheduler.SyncAsync"/> after it committed.
/// </summary>
internal interface IFollowUpPlanner
{
    /// <summary>
    /// An order event was applied to <paramref name="order"/> (already updated in <paramref name="db"/>, not yet saved):
    /// plans what the new state calls for (payment reminders when it is created unpaid, a shipping notice, a delivery
    /// check-in, …) and cancels what it makes wrong (reminders once paid or cancelled).
    /// </summary>
    /// <returns>The ids of the follow-ups planned or cancelled.</returns>
    Task<IReadOnlyList<Guid>> OrderChangedAsync(GatewayDbContext db, Order order, OrderEventType happened, CancellationToken cancellationToken);

    /// <summary>A conversation closed (in <paramref name="db"/>): plans its satisfaction survey.</summary>
    Task<IReadOnlyList<Guid>> ConversationClosedAsync(GatewayDbContext db, Conversation conversation, CancellationToken cancellationToken);

    /// <summary>
    /// Plans the greetings configured for <paramref name="shopDay"/> (a date in the shop's time zone) to the contacts who
    /// accept marketing, once per contact and greeting however often it is called; saves them itself. Called by the
    /// scheduler's daily job, once per cluster.
    /// </summary>
    Task<IReadOnlyList<Guid>> PlanGreetingsAsync(DateOnly shopDay, CancellationToken cancellationToken);
}

/// <summary>
/// Keeps the scheduler (Quartz, on the store's database) in step with the follow-up rows: one trigger at
/// <see cref="FollowUp.DueAt"/> for each planned follow-up, none for the others. Idempotent; call it with any ids
/// whose rows changed (planned, moved, cancelled) after the change committed. A crash between the commit and this
/// call is repaired by the scheduler's own reconciliation of planned rows at start-up and periodically.
/// </summary>
internal interface IFollowUpScheduler
{
    Task SyncAsync(IReadOnlyCollection<Guid> followUpIds, CancellationToken cancellationToken);
}

/// <summary>
/// Fires one due follow-up, once: claims the planned row, checks it against the present (paid? answered? opted out?
/// quiet hours? the caps?), and either stores its message as an outbound message of the buyer's conversation (sent
/// by the delivery worker like an agent's reply, its id the follow-up's, so whatever fires twice sends once) or marks
/// it skipped with the reason. Called by the scheduler's job; safe to call for a row that is no longer planned.
/// </summary>
internal interface IFollowUpFirer
{
    Task<FollowUpOutcome?> FireAsync(Guid followUpId, CancellationToken cancellationToken);

    /// <summary>
    /// Fires these due follow-ups together, in one transaction (each as <see cref="FireAsync(Guid, CancellationToken)"/>
    /// would, in due order per buyer): the outcome of each, in the same order, null where there was nothing to fire.
    /// </summary>
    Task<IReadOnlyList<FollowUpOutcome?>> FireAsync(IReadOnlyList<Guid> followUpIds, CancellationToken cancellationToken);
}

/// <summary>
/// Fires follow-ups of one kind that are not a message to the customer (a promised callback reminds the agent and
/// raises an alert when it passes unkept). <see cref="IFollowUpFirer"/> hands such a follow-up, claimed, to the
/// handler registered for its kind, inside the transaction that records the outcome.
/// </summary>
internal interface IFollowUpKindHandler
{
    string Kind { get; }

    /// <summary>
    /// Decides the follow-up's outcome (its row is in <paramref name="db"/>; the firer saves the outcome with what the
    /// handler changed there). The handler tells nobody itself: what it wants told (alerts to agents) it returns, and the
    /// firer publishes it only after the transaction committed, so a failed commit or a claim another instance won
    /// alerts nobody.
    /// </summary>
    Task<FollowUpHandled> FireAsync(GatewayDbContext db, FollowUp followUp, CancellationToken cancellationToken);
}

/// <summary>
/// What a <see cref="IFollowUpKindHandler"/> decided: the outcome to record, the live events to publish once it is
/// committed (in order), and what to do then besides (e.g. log what was done).
/// </summary>
internal sealed record FollowUpHandled(FollowUpOutcome Outcome)
{
    public IReadOnlyList<Routing.GatewayEvent> Events { get; init; } = [];

    public Action? Committed { get; init; }
}

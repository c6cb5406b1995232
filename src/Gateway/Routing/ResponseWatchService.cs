using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Watches assigned conversations for customers left without an answer. One the agent has not answered
/// within <see cref="RoutingOptions.NoAnswerTimeout"/> of getting it is offered to another able agent
/// (never back to the same one), with a note; a customer message unanswered for longer than the
/// shop's <see cref="RoutingOptions.ResponseTarget"/> raises an alert on the agent's desk, once.
/// </summary>
/// <remarks>
/// Every instance runs this watch over the same store, and each event is acted on once: a reassignment is one Lua
/// script that moves the conversation only while the agent read here still holds it (the first instance moves it
/// and writes the note, the others find it gone), and an alert is claimed in Redis per message
/// (<see cref="RedisRoutingStore.TryClaimAsync"/>) before it is raised, which also keeps a restarted instance from
/// raising it again.
/// </remarks>
internal sealed partial class ResponseWatchService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    RedisRoutingStore store,
    ConversationRouter router,
    GatewayEventBus events,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<ResponseWatchService> logger) : BackgroundService
{
    /// <summary>
    /// How long the claim on one message's alert stands: the alert is raised once a day at most for a customer
    /// left that long, by whichever instance claims it first.
    /// </summary>
    internal static readonly TimeSpan AlertClaimHold = TimeSpan.FromHours(24);

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        if (settings.NoAnswerTimeout > TimeSpan.Zero)
        {
            var cutoff = now - settings.NoAnswerTimeout;
            var unanswered = await NotAnsweredSinceAssigned(db, cutoff).ToListAsync(cancellationToken);
            foreach (var c in unanswered)
            {
                if (!await store.HasOtherAbleAgentAsync(c.Skill, c.AgentId))
                {
                    continue; // nobody else could take it: leave it with the agent, the alert below still fires
                }

                var agent = await db.Agents.AsNoTracking().FirstAsync(a => a.Id == c.AgentId, cancellationToken);
                var note = $"{agent.DisplayName} did not answer within {settings.NoAnswerTimeout.TotalSeconds:0} s; offered to another agent.";
                if (await router.ReassignAsync(c.Id, agent, c.Skill, c.Priority, c.CreatedAt, note) == TransferError.None)
                {
                    LogReassigned(logger, c.Id, c.AgentId);
                }
            }
        }

        var overdueBefore = now - settings.ResponseTarget;
        var waiting = await FirstUnansweredMessages(db).ToListAsync(cancellationToken);
        foreach (var c in waiting)
        {
            if (c.UnansweredId is { } messageId && c.UnansweredAt is { } at && at <= overdueBefore
                && await store.TryClaimAsync("overdue:" + messageId.ToString("N"), AlertClaimHold))
            {
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Overdue, c.Id, c.AgentId, messageId));
            }
        }
    }

    internal sealed record NotAnswered(Guid Id, string Skill, int Priority, DateTimeOffset CreatedAt, Guid AgentId);

    internal sealed record FirstUnanswered(Guid Id, Guid AgentId, Guid? UnansweredId, DateTimeOffset? UnansweredAt);

    /// <summary>
    /// Conversations assigned before <paramref name="cutoff"/> that have had no reply since (not snoozed ones: the agent put them aside). A reply is found
    /// through the index of sent messages (IX_Messages_Replies): seeking the conversation's messages instead
    /// read every customer message since the assignment, the very conversations this looks for.
    /// </summary>
    internal static IQueryable<NotAnswered> NotAnsweredSinceAssigned(GatewayDbContext db, DateTimeOffset cutoff) =>
        db.Conversations.AsNoTracking()
            .Where(c => c.Status == ConversationStatus.Assigned && c.AssignedAt <= cutoff && c.SnoozedAt == null
                && !db.Messages.Any(m => m.ConversationId == c.Id && m.Direction == MessageDirection.Out && m.CreatedAt >= c.AssignedAt))
            .Select(c => new NotAnswered(c.Id, c.Skill, c.Priority, c.CreatedAt, c.AssignedAgentId!.Value));

    /// <summary>
    /// Per assigned conversation not snoozed (a few per agent), the first customer message since an agent last answered:
    /// its conversation's <see cref="InboundHead"/> holds it (the inbound writer starts the run, the store's
    /// trigger on an agent's answer ends it), one seek however long the conversation. (Looking for it among
    /// the conversation's messages read, every 5 s, each customer message since that answer.)
    /// </summary>
    internal static IQueryable<FirstUnanswered> FirstUnansweredMessages(GatewayDbContext db) =>
        db.Conversations.AsNoTracking()
            .Where(c => c.Status == ConversationStatus.Assigned && c.AssignedAgentId != null && c.SnoozedAt == null)
            .Select(c => new FirstUnanswered(
                c.Id,
                c.AssignedAgentId!.Value,
                db.InboundHeads.Where(h => h.ConversationId == c.Id).Select(h => h.RunStartId).FirstOrDefault(),
                db.InboundHeads.Where(h => h.ConversationId == c.Id).Select(h => h.RunStartAt).FirstOrDefault()));

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(time, TimeSpan.FromSeconds(5), CheckAsync, ex => LogFailed(logger, ex), stoppingToken);

    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Conversation {ConversationId} not answered by agent {AgentId} in time; offered to another agent")]
    private static partial void LogReassigned(ILogger logger, Guid conversationId, Guid agentId);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Watching for unanswered customers failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

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
internal sealed partial class ResponseWatchService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    RedisRoutingStore store,
    ConversationRouter router,
    GatewayEventBus events,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<ResponseWatchService> logger) : BackgroundService
{
    private readonly HashSet<Guid> _alerted = [];

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);

        if (settings.NoAnswerTimeout > TimeSpan.Zero)
        {
            var cutoff = now - settings.NoAnswerTimeout;
            var unanswered = await db.Conversations.AsNoTracking()
                .Where(c => c.Status == ConversationStatus.Assigned && c.AssignedAt <= cutoff
                    && !db.Messages.Any(m => m.ConversationId == c.Id && m.Direction == MessageDirection.Out && m.CreatedAt >= c.AssignedAt))
                .Select(c => new { c.Id, c.Skill, c.Priority, c.CreatedAt, AgentId = c.AssignedAgentId!.Value })
                .ToListAsync(cancellationToken);
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

        // Per assigned conversation (a few per agent), the first customer message after the agent's last
        // answer: two index seeks each, however long the conversation or the message table.
        var overdueBefore = now - settings.ResponseTarget;
        var waiting = await db.Conversations.AsNoTracking()
            .Where(c => c.Status == ConversationStatus.Assigned && c.AssignedAgentId != null)
            .Select(c => new
            {
                c.Id,
                AgentId = c.AssignedAgentId!.Value,
                LastAnswer = db.Messages
                    .Where(o => o.ConversationId == c.Id && o.Direction == MessageDirection.Out && o.AgentId != null)
                    .OrderByDescending(o => o.CreatedAt)
                    .Select(o => (DateTimeOffset?)o.CreatedAt)
                    .FirstOrDefault(),
            })
            .Select(c => new
            {
                c.Id,
                c.AgentId,
                UnansweredId = db.Messages
                    .Where(m => m.ConversationId == c.Id && m.Direction == MessageDirection.In && (c.LastAnswer == null || m.CreatedAt > c.LastAnswer))
                    .OrderBy(m => m.CreatedAt)
                    .Select(m => (Guid?)m.Id)
                    .FirstOrDefault(),
                UnansweredAt = db.Messages
                    .Where(m => m.ConversationId == c.Id && m.Direction == MessageDirection.In && (c.LastAnswer == null || m.CreatedAt > c.LastAnswer))
                    .OrderBy(m => m.CreatedAt)
                    .Select(m => (DateTimeOffset?)m.CreatedAt)
                    .FirstOrDefault(),
            })
            .ToListAsync(cancellationToken);
        var stillAssigned = new HashSet<Guid>();
        foreach (var c in waiting)
        {
            if (c.UnansweredId is not { } messageId || c.UnansweredAt is not { } at)
            {
                continue;
            }

            stillAssigned.Add(messageId);
            if (at <= overdueBefore && _alerted.Add(messageId))
            {
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Overdue, c.Id, c.AgentId, messageId));
            }
        }

        // Forget alerts for messages that have been answered or whose conversation moved on.
        _alerted.IntersectWith(stillAssigned);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(5), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await CheckAsync(stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Conversation {ConversationId} not answered by agent {AgentId} in time; offered to another agent")]
    private static partial void LogReassigned(ILogger logger, Guid conversationId, Guid agentId);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Error, Message = "Watching for unanswered customers failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

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

        // The oldest customer message after the agent's last answer, per assigned conversation.
        var overdueBefore = now - settings.ResponseTarget;
        var overdue = await db.Messages.AsNoTracking()
            .Where(m => m.Direction == MessageDirection.In && m.CreatedAt <= overdueBefore
                && db.Conversations.Any(c => c.Id == m.ConversationId && c.Status == ConversationStatus.Assigned)
                && !db.Messages.Any(o => o.ConversationId == m.ConversationId && o.Direction == MessageDirection.Out && o.CreatedAt >= m.CreatedAt))
            .Select(m => new { m.Id, m.ConversationId, AgentId = db.Conversations.Where(c => c.Id == m.ConversationId).Select(c => c.AssignedAgentId).First() })
            .ToListAsync(cancellationToken);
        foreach (var m in overdue.GroupBy(m => m.ConversationId).Select(g => g.First()))
        {
            if (m.AgentId is { } agentId && _alerted.Add(m.Id))
            {
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Overdue, m.ConversationId, agentId, m.Id));
            }
        }
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

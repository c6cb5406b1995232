using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Moves conversations that waited longer than their step's timeout on to the next step (e.g. from
/// <c>vip</c> to <c>after-sale</c> to <c>general</c>), keeping their age. After routing rules reload it
/// recomputes which queues the online agents serve.
/// </summary>
/// <remarks>
/// Every instance runs this check over the same store; a move happens once because it is one Lua script that
/// takes the conversation out of the queue it was read in (the first instance moves it and writes the note, the
/// others find it gone).
/// </remarks>
internal sealed partial class OverflowService : BackgroundService
{
    private readonly IDbContextFactory<GatewayDbContext> _dbFactory;
    private readonly ConversationRouter _router;
    private readonly RedisRoutingStore _store;
    private readonly RoutingRules _rules;
    private readonly TimeProvider _time;
    private readonly ILogger<OverflowService> _logger;
    private volatile bool _rulesChanged;

    public OverflowService(IDbContextFactory<GatewayDbContext> dbFactory, ConversationRouter router, RedisRoutingStore store, RoutingRules rules, TimeProvider time, ILogger<OverflowService> logger)
    {
        (_dbFactory, _router, _store, _rules, _time, _logger) = (dbFactory, router, store, rules, time, logger);
        rules.Changed += _ => _rulesChanged = true;
    }

    public async Task CheckAsync(CancellationToken cancellationToken)
    {
        if (_rulesChanged)
        {
            _rulesChanged = false;
            await ReapplyPresenceAsync(cancellationToken);
        }

        var snapshot = _rules.Current;
        var now = _time.GetUtcNow();
        await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
        var waiting = await db.Conversations.AsNoTracking()
            .Where(c => c.Status == ConversationStatus.Waiting)
            .Select(c => new { c.Id, c.Skill, Since = c.StepEnteredAt ?? c.CreatedAt })
            .ToListAsync(cancellationToken);
        foreach (var c in waiting)
        {
            if (snapshot.Steps.TryGetValue(c.Skill, out var step) && step.Timeout is { } timeout && step.Next is { } next && now - c.Since >= timeout)
            {
                await _router.OverflowAsync(c.Id, c.Skill, next.ToLowerInvariant(), now - c.Since);
            }
        }
    }

    private async Task ReapplyPresenceAsync(CancellationToken cancellationToken)
    {
        await using var db = await _dbFactory.CreateDbContextAsync(cancellationToken);
        foreach (var agent in await db.Agents.AsNoTracking().Where(a => a.Enabled).ToListAsync(cancellationToken))
        {
            var presence = await _store.GetPresenceAsync(agent.Id);
            if (presence is AgentPresence.Online or AgentPresence.Busy)
            {
                await _router.SetPresenceAsync(agent, presence);
            }
        }
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(_time, TimeSpan.FromSeconds(1), CheckAsync, ex => LogFailed(_logger, ex), stoppingToken);

    [LoggerMessage(EventId = 3500, Level = LogLevel.Error, Message = "Overflow check failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}

using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// Counts each agent's live desk connections across gateway instances (in Redis) and, when an agent
/// who is online or busy has had none for the grace period, sets them offline and hands their open
/// conversations to others with a note saying why. During the grace the agent keeps their conversations
/// but is offered no new ones (Redis marks them <c>lost</c>); back within it, they take waiting work at
/// once. A page reload or a short network drop within the grace period changes nothing else. Agents who
/// never open a desk (API clients) are never marked.
/// </summary>
internal sealed partial class AgentConnectionTracker(
    RedisConnection redis,
    IDbContextFactory<GatewayDbContext> dbFactory,
    ConversationRouter router,
    RedisRoutingStore routing,
    RoutingRules rules,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<AgentConnectionTracker> logger) : BackgroundService
{
    private readonly Dictionary<Guid, DateTimeOffset> _lostAt = [];
    private readonly Lock _lock = new();

    public async Task ConnectedAsync(Guid agentId)
    {
        // Back within the grace: the agent takes waiting work at once (nothing was offered while lost).
        var assignments = await routing.DeskConnectedAsync(agentId);
        lock (_lock)
        {
            _lostAt.Remove(agentId);
        }

        try
        {
            await router.ApplyAsync(assignments);
        }
        catch (Exception ex)
        {
            // Redis holds the decision; RoutingRecoveryService brings the store in step.
            LogApplyFailed(logger, ex, agentId);
        }
    }

    public async Task DisconnectedAsync(Guid agentId)
    {
        // The last desk gone: no new conversations for this agent (in every routing path) until a desk is back.
        if (await routing.DeskLostAsync(agentId))
        {
            lock (_lock)
            {
                _lostAt[agentId] = time.GetUtcNow();
            }
        }
    }

    /// <summary>True while the agent has no desk connection here and their grace period runs.</summary>
    public bool IsInGracePeriod(Guid agentId)
    {
        lock (_lock)
        {
            return _lostAt.ContainsKey(agentId);
        }
    }

    /// <summary>Hands on the conversations of agents whose grace period is over; returns how many agents.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        var grace = options.Value.DisconnectGrace;
        var now = time.GetUtcNow();
        List<KeyValuePair<Guid, DateTimeOffset>> due;
        lock (_lock)
        {
            due = _lostAt.Where(p => now - p.Value >= grace).ToList();
            foreach (var (id, _) in due)
            {
                _lostAt.Remove(id);
            }
        }

        var handled = 0;
        foreach (var (agentId, lostAt) in due)
        {
            try
            {
                handled += await HandOnAsync(agentId, grace, cancellationToken) ? 1 : 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Redis or the store failed for a moment: the agent stays due and the next check tries again,
                // instead of their customers staying with a desk that is gone.
                LogHandOnFailed(logger, ex, agentId);
                lock (_lock)
                {
                    _lostAt.TryAdd(agentId, lostAt);
                }
            }
        }

        return handled;
    }

    /// <summary>Sets an agent whose desk is still gone offline and hands their conversations on; false when there was nothing to do.</summary>
    private async Task<bool> HandOnAsync(Guid agentId, TimeSpan grace, CancellationToken cancellationToken)
    {
        var db = await redis.GetDatabaseAsync();
        var connections = (long?)await db.HashGetAsync(Key(agentId), "conns") ?? 0;
        var presence = await routing.GetPresenceAsync(agentId);
        if (connections > 0)
        {
            return false; // back on another desk or instance
        }

        if (presence is not (AgentPresence.Online or AgentPresence.Busy))
        {
            await routing.ClearLostAsync(agentId); // away or offline by choice: going online again is their call
            return false;
        }

        await using var store = await dbFactory.CreateDbContextAsync(cancellationToken);
        var agent = await store.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == agentId, cancellationToken);
        if (agent is null)
        {
            return false;
        }

        LogLost(logger, agentId, grace);
        await routing.SetPresenceAsync(agent.Id, AgentPresence.Offline, agent.MaxConcurrent, rules.Current.QueuesFor(agent.SkillList, agent.AttributeMap));
        await router.RequeueAgentAsync(agent.Id, $"{agent.DisplayName} lost the connection for over {grace.TotalSeconds:0} s; back in the queue");
        await routing.ClearLostAsync(agent.Id); // offline now: going online again is a fresh start
        return true;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
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
                    LogCheckFailed(logger, ex);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private RedisKey Key(Guid agentId) => redis.KeyPrefix + "a:" + agentId.ToString("N");

    [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "Agent {AgentId} has had no desk connection for {Grace}; their conversations go to others")]
    private static partial void LogLost(ILogger logger, Guid agentId, TimeSpan grace);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "Recording the work agent {AgentId} took on reconnecting failed; recovery will catch up")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, Guid agentId);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "Handing on the conversations of agent {AgentId}, whose desk is gone, failed; trying again at the next check")]
    private static partial void LogHandOnFailed(ILogger logger, Exception exception, Guid agentId);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Error, Message = "Checking lost agent connections failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}

using System.Collections.Concurrent;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// Presence from live facts. Each instance keeps the list of desks connected to it in Redis under a heartbeat that
/// expires with the process; an agent with no desk on any live instance is lost (Redis marks them, with the time):
/// they keep their conversations through the grace period but are offered no new ones, and back within it they take
/// waiting work at once. When the grace is over, whichever instance claims the mark first sets them offline and hands
/// their conversations to others with a note saying why. So a crashed instance's agents are handed on by the others,
/// and no desk count outlives the process that held it. When Redis comes back empty (a replacement node, a lost
/// AOF) each instance finds its heartbeat gone, has the queues rebuilt from the store, and announces its agents again
/// with the presence they had. A page reload or a short network drop within the grace period changes nothing else.
/// Agents who never open a desk (API clients) are never marked.
/// </summary>
internal sealed partial class AgentConnectionTracker(
    IDbContextFactory<GatewayDbContext> dbFactory,
    ConversationRouter router,
    RedisRoutingStore routing,
    RoutingRecoveryService recovery,
    RoutingRules rules,
    IOptions<RoutingOptions> options,
    IOptions<PresenceOptions> presenceOptions,
    GatewayInstance self,
    TimeProvider time,
    ILogger<AgentConnectionTracker> logger) : BackgroundService
{
    /// <summary>A claimed hand-on that did not finish (an error, or the instance died) falls due again after this.</summary>
    private static readonly TimeSpan HandOnRetry = TimeSpan.FromSeconds(10);

    private readonly string _instance = self.Id;

    // Desk changes and heartbeats take turns, so the list a heartbeat writes is never older than a change already written.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly Dictionary<Guid, int> _desks = [];
    private readonly Dictionary<Guid, DateTimeOffset> _lostNotRecorded = [];
    // The presence Redis last held for agents with a desk here: from each heartbeat, and at once when set on this instance.
    private readonly ConcurrentDictionary<Guid, string> _presence = [];
    private bool _beating;
    private bool _announceDue;

    /// <summary>Keeps the presence agents set on this instance from the moment they set it, not from the next heartbeat.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        router.PresenceSet += (agentId, presence) => _presence[agentId] = presence;
        return base.StartAsync(cancellationToken);
    }

    public async Task ConnectedAsync(Guid agentId)
    {
        IReadOnlyList<Assignment> assignments;
        await _gate.WaitAsync();
        try
        {
            var desks = _desks.GetValueOrDefault(agentId) + 1;
            _desks[agentId] = desks;
            try
            {
                // Back within the grace: the agent takes waiting work at once (nothing was offered while lost).
                assignments = await routing.DeskConnectedAsync(_instance, agentId, desks);
                _lostNotRecorded.Remove(agentId);
            }
            catch
            {
                // The hub refuses the connection and will not report it closed.
                Forget(agentId);
                throw;
            }
        }
        finally
        {
            _gate.Release();
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
        await _gate.WaitAsync();
        try
        {
            Forget(agentId);
            // The last desk gone: no new conversations for this agent (in every routing path) until a desk is back.
            await RecordLostAsync(agentId, _desks.GetValueOrDefault(agentId), time.GetUtcNow());
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>True while the agent has no desk on any live instance and their grace period runs.</summary>
    public Task<bool> IsInGracePeriodAsync(Guid agentId) => routing.IsLostAsync(agentId);

    /// <summary>Hands on the conversations of agents whose grace period is over; returns how many agents.</summary>
    public async Task<int> CheckAsync(CancellationToken cancellationToken)
    {
        var grace = options.Value.DisconnectGrace;
        var due = await routing.ClaimLostAsync(_instance, time.GetUtcNow(), grace, HandOnRetry);
        var handled = 0;
        foreach (var agentId in due)
        {
            try
            {
                handled += await HandOnAsync(agentId, grace, cancellationToken) ? 1 : 0;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Redis or the store failed for a moment: the claim falls due again shortly, here or on another
                // instance, instead of their customers staying with a desk that is gone.
                LogHandOnFailed(logger, ex, agentId);
            }
        }

        return handled;
    }

    /// <summary>
    /// Renews this instance's heartbeat and desk list, announces its agents again when Redis had lost them, and forgets
    /// instances whose heartbeat expired (their desks are lost from now).
    /// </summary>
    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        DeskHeartbeat beat;
        await _gate.WaitAsync(cancellationToken);
        try
        {
            beat = await routing.HeartbeatAsync(_instance, presenceOptions.Value.HeartbeatExpiry, _desks.ToList());
            foreach (var (agentId, since) in _lostNotRecorded.ToList())
            {
                await RecordLostAsync(agentId, _desks.GetValueOrDefault(agentId), since);
            }
        }
        finally
        {
            _gate.Release();
        }

        var missing = new List<(Guid AgentId, string Presence)>();
        foreach (var (agentId, presence) in beat.Presence)
        {
            if (presence is not null)
            {
                _presence[agentId] = presence;
            }
            else if (_presence.TryGetValue(agentId, out var known) && known != AgentPresence.Offline)
            {
                missing.Add((agentId, known)); // nothing in the gateway deletes an agent's presence: Redis lost it
            }
        }

        // Not this instance's first beat: Redis came back empty, or the instance was cut off past the expiry.
        if ((beat.WasGone && _beating) || missing.Count > 0)
        {
            LogHeartbeatGone(logger, _desks.Count);
            _announceDue = true;
        }

        _beating = true;

        foreach (var gone in _presence.Keys.Where(a => !beat.Presence.ContainsKey(a)))
        {
            _presence.TryRemove(gone, out _);
        }

        await router.ApplyAsync(beat.Assignments);
        if (_announceDue)
        {
            await AnnounceAgainAsync(missing, cancellationToken);
            _announceDue = false;
        }

        foreach (var (instance, lost) in await routing.ReapAsync(_instance, time.GetUtcNow()))
        {
            LogInstanceGone(logger, instance, lost);
        }
    }

    /// <summary>
    /// Rebuilds the queues and assignments from the store first (so agents are offered work with their load known),
    /// then gives the agents connected here the presence they had, which takes them waiting work.
    /// </summary>
    private async Task AnnounceAgainAsync(List<(Guid AgentId, string Presence)> missing, CancellationToken cancellationToken)
    {
        await recovery.RecoverAsync(cancellationToken);
        if (missing.Count == 0)
        {
            return;
        }

        var ids = missing.Select(m => m.AgentId).ToList();
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var agents = await db.Agents.AsNoTracking().Where(a => ids.Contains(a.Id) && a.Enabled).ToDictionaryAsync(a => a.Id, cancellationToken);
        foreach (var (agentId, presence) in missing)
        {
            if (agents.TryGetValue(agentId, out var agent))
            {
                await router.SetPresenceAsync(agent, presence);
            }
            else
            {
                _presence.TryRemove(agentId, out _); // disabled or deleted meanwhile: offline is right
            }
        }

        LogAnnounced(logger, agents.Count);
    }

    /// <summary>Records in Redis that a desk closed; kept for the next heartbeat to retry when Redis did not answer.</summary>
    private async Task RecordLostAsync(Guid agentId, int desks, DateTimeOffset since)
    {
        try
        {
            await routing.DeskLostAsync(_instance, agentId, desks, since);
            _lostNotRecorded.Remove(agentId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Otherwise an agent whose last desk closed during a Redis blip would stay online with no desk for ever.
            LogLostNotRecorded(logger, ex, agentId);
            _lostNotRecorded[agentId] = since;
        }
    }

    private void Forget(Guid agentId)
    {
        if (_desks.TryGetValue(agentId, out var desks) && desks > 1)
        {
            _desks[agentId] = desks - 1;
        }
        else
        {
            _desks.Remove(agentId);
        }
    }

    /// <summary>Sets an agent whose desk is still gone offline and hands their conversations on; false when there was nothing to do.</summary>
    private async Task<bool> HandOnAsync(Guid agentId, TimeSpan grace, CancellationToken cancellationToken)
    {
        var presence = await routing.GetPresenceAsync(agentId);
        if (presence is not (AgentPresence.Online or AgentPresence.Busy))
        {
            await routing.ClearLostAsync(agentId); // away or offline by choice: going online again is their call
            return false;
        }

        await using var store = await dbFactory.CreateDbContextAsync(cancellationToken);
        var agent = await store.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == agentId, cancellationToken);
        if (agent is null)
        {
            await routing.ClearLostAsync(agentId);
            return false;
        }

        LogLost(logger, agentId, grace);
        // Conversations first: should this stop half-way, the claim falls due again while the agent is still online.
        await router.RequeueAgentAsync(agent.Id, $"{agent.DisplayName} lost the connection for over {grace.TotalSeconds:0} s; back in the queue");
        await routing.SetPresenceAsync(agent.Id, AgentPresence.Offline, agent.MaxConcurrent, rules.Current.QueuesFor(agent.SkillList, agent.AttributeMap));
        await routing.ClearLostAsync(agent.Id); // offline now: going online again is a fresh start
        return true;
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(CheckLoopAsync(stoppingToken), HeartbeatLoopAsync(stoppingToken));

    private Task CheckLoopAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(time, TimeSpan.FromSeconds(1), CheckAsync, ex => LogCheckFailed(logger, ex), stoppingToken);

    // On the real clock, not the injected one: the beat keeps a Redis expiry alive, and Redis's clock is real.
    private Task HeartbeatLoopAsync(CancellationToken stoppingToken) =>
        Periodic.RunAsync(TimeProvider.System, presenceOptions.Value.HeartbeatInterval, BeatAsync, ex => LogBeatFailed(logger, ex), stoppingToken, runFirst: true);

    [LoggerMessage(EventId = 5100, Level = LogLevel.Warning, Message = "Agent {AgentId} has had no desk connection for {Grace}; their conversations go to others")]
    private static partial void LogLost(ILogger logger, Guid agentId, TimeSpan grace);

    [LoggerMessage(EventId = 5101, Level = LogLevel.Error, Message = "Checking lost agent connections failed")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5102, Level = LogLevel.Error, Message = "Recording the work agent {AgentId} took on reconnecting failed; recovery will catch up")]
    private static partial void LogApplyFailed(ILogger logger, Exception exception, Guid agentId);

    [LoggerMessage(EventId = 5103, Level = LogLevel.Error, Message = "Handing on the conversations of agent {AgentId}, whose desk is gone, failed; trying again shortly")]
    private static partial void LogHandOnFailed(ILogger logger, Exception exception, Guid agentId);

    [LoggerMessage(EventId = 5104, Level = LogLevel.Warning, Message = "Recording that agent {AgentId} has no desk left here failed; the next heartbeat tries again")]
    private static partial void LogLostNotRecorded(ILogger logger, Exception exception, Guid agentId);

    [LoggerMessage(EventId = 5105, Level = LogLevel.Error, Message = "The presence heartbeat failed; the next one tries again")]
    private static partial void LogBeatFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 5106, Level = LogLevel.Warning, Message = "Redis had lost this instance's heartbeat or its agents' presence (emptied, or cut off past the expiry); announcing its {Agents} agents with open desks again")]
    private static partial void LogHeartbeatGone(ILogger logger, int agents);

    [LoggerMessage(EventId = 5107, Level = LogLevel.Information, Message = "Queues rebuilt from the store and {Agents} agents announced again with the presence they had")]
    private static partial void LogAnnounced(ILogger logger, int agents);

    [LoggerMessage(EventId = 5108, Level = LogLevel.Warning, Message = "Gateway instance {Instance} stopped beating; {Lost} agents whose desks were there are lost until they reconnect")]
    private static partial void LogInstanceGone(ILogger logger, string instance, long lost);
}

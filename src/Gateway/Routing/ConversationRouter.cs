using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Telemetry;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Turns routing decisions made atomically in Redis into the record: marks conversations assigned or
/// waiting in the store, writes the notes agents see, and tells everyone through the event bus.
/// </summary>
internal sealed partial class ConversationRouter(
    RedisRoutingStore store,
    IDbContextFactory<GatewayDbContext> dbFactory,
    GatewayEventBus events,
    RoutingRules rules,
    IOptions<RoutingOptions> options,
    TimeProvider time,
    ILogger<ConversationRouter> logger,
    Telemetry.GatewayMetrics metrics,
    Webhooks.WebhookOutbox webhooks)
{
    public long Score(int priority, DateTimeOffset since) => RedisRoutingStore.Score(priority, since, options.Value.PriorityStep);

    /// <summary>Queues the conversation; true when an agent took it at once.</summary>
    public async Task<bool> EnqueueAsync(Guid conversationId, string skill, int priority, DateTimeOffset since, Guid? preferredAgent = null, string? channelType = null)
    {
        using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.Route);
        activity?.SetTag(GatewayTracing.ConversationTag, conversationId);
        // Steps nobody able is online for, and that say so, are skipped along their overflow chain.
        var snapshot = rules.Current;
        var queue = skill;
        var skipped = new List<string>();
        while (snapshot.Steps.TryGetValue(queue, out var step) && step.SkipWhenNobodyOnline && step.Next is not null
            && skipped.Count < snapshot.Steps.Count && await store.GetAvailableAgentCountAsync(queue) == 0)
        {
            skipped.Add(queue);
            queue = step.Next.ToLowerInvariant();
        }

        if (snapshot.Steps.TryGetValue(queue, out var target) && target.Priority > priority)
        {
            priority = target.Priority.Value;
        }

        if (skipped.Count > 0)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var note = $"; skipped {string.Join(", ", skipped)}: nobody able online";
            await db.Conversations.Where(c => c.Id == conversationId).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Skill, queue)
                .SetProperty(c => c.Priority, priority)
                .SetProperty(c => c.StepEnteredAt, time.GetUtcNow())
                .SetProperty(c => c.RoutingReason, c => c.RoutingReason + note));
        }

        skill = queue;
        var assignments = await store.EnqueueAsync(conversationId, skill, Score(priority, since), preferredAgent, channelType);
        LogQueued(logger, conversationId, skill, priority);
        await ApplyAsync(assignments);
        var taken = assignments.Any(a => a.ConversationId == conversationId);
        if (activity is not null)
        {
            activity.SetTag(GatewayTracing.SkillTag, skill);
            activity.SetTag(GatewayTracing.ChannelTypeTag, channelType);
            activity.SetTag(GatewayTracing.OutcomeTag, taken ? "assigned" : "waiting");
        }

        if (taken)
        {
            return true;
        }

        // Nobody took it at once: the customer hears their place in line.
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Waiting, conversationId));
        return false;
    }

    /// <summary>An agent's presence was set on this instance (the desk tracker keeps it, to announce it again should Redis lose it).</summary>
    public event Action<Guid, string>? PresenceSet;

    /// <summary>Sets presence. Going offline hands the agent's open conversations to others at once.</summary>
    public async Task SetPresenceAsync(Agent agent, string presence)
    {
        var queues = rules.Current.QueuesFor(agent.SkillList, agent.AttributeMap);
        var assignments = await store.SetPresenceAsync(agent.Id, presence, agent.MaxConcurrent, queues, agent.ChannelCapacityMap);
        PresenceSet?.Invoke(agent.Id, presence);
        await ApplyAsync(assignments);
        if (presence == AgentPresence.Offline)
        {
            await RequeueAgentAsync(agent.Id, $"{agent.DisplayName} went offline");
        }
    }

    /// <summary>Puts every open conversation of the agent back in its queue, with a note saying why.</summary>
    public async Task RequeueAgentAsync(Guid agentId, string reason)
    {
        var assignments = await store.RequeueAgentAsync(agentId);
        await ApplyAsync(assignments, reason);
    }

    public async Task ReleaseAsync(Guid conversationId)
    {
        var assignments = await store.ReleaseAsync(conversationId);
        await ApplyAsync(assignments);
    }

    public async Task<TransferError> TransferToAgentAsync(Guid conversationId, Agent from, Agent to, string? note)
    {
        var (error, assignments) = await store.TransferToAgentAsync(conversationId, from.Id, to.Id);
        if (error == TransferError.None)
        {
            await ApplyAsync(assignments, TransferNote(from, $"to {to.DisplayName}", note));
        }

        return error;
    }

    public async Task<TransferError> TransferToSkillAsync(Guid conversationId, Agent from, string skill, int priority, DateTimeOffset since, string? note)
    {
        var (error, assignments) = await store.TransferToSkillAsync(conversationId, from.Id, skill, Score(priority, since));
        if (error == TransferError.None)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            await db.Conversations.Where(c => c.Id == conversationId).ExecuteUpdateAsync(s => s.SetProperty(c => c.Skill, skill).SetProperty(c => c.StepEnteredAt, time.GetUtcNow()));
            await ApplyAsync(assignments, TransferNote(from, $"to the {skill} queue", note));
        }

        return error;
    }

    /// <summary>
    /// An agent takes a waiting conversation from a queue they serve (Redis decides, once, against routing and every other
    /// agent on any instance); recorded and announced like routing's own assignment. The skill is the queue's when it is not theirs.
    /// </summary>
    public async Task<(TakeResult Result, string? Skill)> TakeAsync(Guid conversationId, Agent agent)
    {
        var queues = rules.Current.QueuesFor(agent.SkillList, agent.AttributeMap);
        var (result, skill, assignments) = await store.TakeAsync(conversationId, agent.Id, queues);
        if (result == TakeResult.Taken)
        {
            await ApplyAsync(assignments);
        }

        return (result, skill);
    }

    /// <summary>A closed conversation an agent reopened (already recorded as theirs): it counts in their load, as an assignment does, and shows on their desk.</summary>
    public async Task ReopenedAsync(Guid conversationId, Guid agentId, string skill, string? channelType)
    {
        await store.RestoreAssignedAsync(conversationId, agentId, skill, channelType);
        LogAssigned(logger, conversationId, agentId);
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Assigned, conversationId, agentId));
    }

    /// <summary>Moves a waiting conversation to the next step of its workflow (overflow); false when it was no longer waiting there.</summary>
    public async Task<bool> OverflowAsync(Guid conversationId, string from, string to, TimeSpan waited)
    {
        var assignments = await store.MoveAsync(conversationId, from, to);
        if (assignments is null)
        {
            return false;
        }

        await using (var db = await dbFactory.CreateDbContextAsync())
        {
            var note = $"; overflowed from {from} after {waited.TotalSeconds:0} s";
            await db.Conversations.Where(c => c.Id == conversationId).ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Skill, to)
                .SetProperty(c => c.StepEnteredAt, time.GetUtcNow())
                .SetProperty(c => c.RoutingReason, c => c.RoutingReason + note));
        }

        LogOverflowed(logger, conversationId, from, to);
        await ApplyAsync(assignments);
        if (!assignments.Any(a => a.ConversationId == conversationId))
        {
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Waiting, conversationId));
        }

        return true;
    }

    /// <summary>Offers an assigned conversation to another agent of its skill, with a note saying why.</summary>
    public async Task<TransferError> ReassignAsync(Guid conversationId, Agent from, string skill, int priority, DateTimeOffset since, string note)
    {
        var (error, assignments) = await store.TransferToSkillAsync(conversationId, from.Id, skill, Score(priority, since));
        if (error == TransferError.None)
        {
            await ApplyAsync(assignments, note);
        }

        return error;
    }

    /// <summary>
    /// Records decisions: an agent given a conversation, or a conversation back in a queue. A decision
    /// that moved a conversation from one agent to another (or to a queue) counts as a transfer.
    /// </summary>
    public async Task ApplyAsync(IReadOnlyList<Assignment> assignments, string? note = null)
    {
        var max = options.Value.MaxTransfers;
        foreach (var a in assignments)
        {
            // A decision Redis made: its record and announcement (the agent's instance pushes it as a child of this span).
            using var activity = GatewayTracing.Source.StartActivity(GatewayTracing.Assign);
            if (activity is not null)
            {
                activity.SetTag(GatewayTracing.ConversationTag, a.ConversationId);
                activity.SetTag(GatewayTracing.AgentTag, a.AgentId);
                activity.SetTag(GatewayTracing.OutcomeTag, a.AgentId is null ? "requeued" : a.PreviousAgentId is null ? "assigned" : "transferred");
            }

            await using var db = await dbFactory.CreateDbContextAsync();
            var conversation = await db.Conversations.FirstOrDefaultAsync(c => c.Id == a.ConversationId);
            if (conversation is null || conversation.Status == ConversationStatus.Closed)
            {
                continue;
            }

            var now = time.GetUtcNow();
            // Passed on by an agent (to another agent or back to a queue); taking it from the queue is not.
            var moved = a.PreviousAgentId is not null;
            if (moved)
            {
                conversation.TransferCount++;
                metrics.Transferred(conversation.Skill);
            }

            if (a.AgentId is not null)
            {
                // Waited: from entering its queue to an agent; a transfer straight to an agent did not wait.
                var waitedSince = conversation.Status == ConversationStatus.Waiting ? conversation.StepEnteredAt ?? conversation.CreatedAt : (DateTimeOffset?)null;
                metrics.Assigned(conversation.Skill, now - waitedSince);
            }

            activity?.SetTag(GatewayTracing.SkillTag, conversation.Skill);
            conversation.NeedsSupervisor |= conversation.TransferCount > max;
            conversation.Status = a.AgentId is null ? ConversationStatus.Waiting : ConversationStatus.Assigned;
            conversation.AssignedAgentId = a.AgentId;
            conversation.AssignedAt = a.AgentId is null ? null : now;
            if (moved && note is not null)
            {
                db.Messages.Add(new Message
                {
                    Id = Ids.NewVersion7(now),
                    ConversationId = conversation.Id,
                    InstanceId = conversation.LastInstanceId,
                    ExternalId = conversation.LastExternalId,
                    Direction = MessageDirection.Note,
                    Text = note,
                    Status = MessageStatus.Received,
                    CreatedAt = now,
                });
            }

            await webhooks.RoutedAsync(db, conversation, a.AgentId, a.PreviousAgentId);
            await db.SaveChangesAsync();
            if (a.PreviousAgentId is { } previous)
            {
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Removed, a.ConversationId, previous));
            }

            if (a.AgentId is { } agentId)
            {
                LogAssigned(logger, a.ConversationId, agentId);
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Assigned, a.ConversationId, agentId));
            }
            else
            {
                LogRequeued(logger, a.ConversationId);
                await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Waiting, a.ConversationId));
            }
        }
    }

    /// <summary>
    /// Records in the store a decision Redis holds but the store missed (the instance that made it died before
    /// writing it down): the conversation is <paramref name="held"/>'s agent's, or waiting in its queue. Only a row
    /// that still says what the caller read (<paramref name="recordedAgentId"/>, null for waiting, in
    /// <paramref name="recordedSkill"/>) changes, so instances recovering at once record it once, and a newer
    /// decision already written is never overwritten. True when this call changed the row.
    /// </summary>
    public async Task<bool> FollowRedisAsync(Guid conversationId, Guid? recordedAgentId, string recordedSkill, HeldRouting held)
    {
        var now = time.GetUtcNow();
        var skill = held.Skill ?? recordedSkill;
        var status = held.AgentId is null ? ConversationStatus.Waiting : ConversationStatus.Assigned;
        await using var db = await dbFactory.CreateDbContextAsync();
        var row = db.Conversations.Where(c => c.Id == conversationId && c.Skill == recordedSkill);
        row = recordedAgentId is { } recorded
            ? row.Where(c => c.Status == ConversationStatus.Assigned && c.AssignedAgentId == recorded)
            : row.Where(c => c.Status == ConversationStatus.Waiting);
        var changed = await row.ExecuteUpdateAsync(s => s
            .SetProperty(c => c.Status, status)
            .SetProperty(c => c.AssignedAgentId, held.AgentId)
            .SetProperty(c => c.AssignedAt, held.AgentId is null ? null : (DateTimeOffset?)now)
            .SetProperty(c => c.Skill, skill)
            .SetProperty(c => c.StepEnteredAt, c => c.Skill == skill ? c.StepEnteredAt : now));
        if (changed == 0)
        {
            return false;
        }

        LogFollowedRedis(logger, conversationId, held.AgentId, skill);
        if (held.AgentId is not null)
        {
            metrics.Assigned(skill, null);
        }

        if (recordedAgentId is { } previous && previous != held.AgentId)
        {
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Removed, conversationId, previous));
        }

        await events.PublishAsync(held.AgentId is { } agentId
            ? new GatewayEvent(GatewayEventTypes.Assigned, conversationId, agentId)
            : new GatewayEvent(GatewayEventTypes.Waiting, conversationId));
        return true;
    }

    /// <summary>Place in line (1 = next) and a rough wait: the line shared by the able agents, times the handling time.</summary>
    public async Task<(int? Position, TimeSpan? Estimate)> GetQueuePositionAsync(Guid conversationId, string skill)
    {
        var rank = await store.GetQueuePositionAsync(conversationId, skill);
        if (rank is null)
        {
            return (null, null);
        }

        var position = (int)rank.Value + 1;
        var agents = await store.GetAvailableAgentCountAsync(skill);
        TimeSpan? estimate = agents == 0 ? null : options.Value.AverageHandleTime * Math.Ceiling(position / (double)agents);
        return (position, estimate);
    }

    private static string TransferNote(Agent from, string target, string? note) =>
        string.IsNullOrWhiteSpace(note) ? $"{from.DisplayName} transferred this conversation {target}." : $"{from.DisplayName} transferred this conversation {target}: {note.Trim()}";

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Conversation {ConversationId} queued for skill {Skill} at priority {Priority}")]
    private static partial void LogQueued(ILogger logger, Guid conversationId, string skill, int priority);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Conversation {ConversationId} assigned to agent {AgentId}")]
    private static partial void LogAssigned(ILogger logger, Guid conversationId, Guid agentId);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Information, Message = "Conversation {ConversationId} overflowed from {From} to {To}")]
    private static partial void LogOverflowed(ILogger logger, Guid conversationId, string from, string to);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Warning, Message = "Conversation {ConversationId}: the store missed a routing decision and now follows Redis (agent {AgentId}, queue {Skill})")]
    private static partial void LogFollowedRedis(ILogger logger, Guid conversationId, Guid? agentId, string skill);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Information, Message = "Conversation {ConversationId} is back in its queue")]
    private static partial void LogRequeued(ILogger logger, Guid conversationId);
}

internal static class AgentPresence
{
    public const string Online = "online";
    public const string Busy = "busy";
    public const string Away = "away";
    public const string Offline = "offline";

    public static readonly string[] All = [Online, Busy, Away, Offline];
}

using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Turns routing decisions made in Redis into the record: marks assigned conversations in the store
/// and tells everyone through the event bus.
/// </summary>
internal sealed partial class ConversationRouter(
    RedisRoutingStore store,
    IDbContextFactory<GatewayDbContext> dbFactory,
    GatewayEventBus events,
    TimeProvider time,
    ILogger<ConversationRouter> logger)
{
    public async Task EnqueueAsync(Guid conversationId, string skill, int priority, DateTimeOffset since)
    {
        var assignments = await store.EnqueueAsync(conversationId, skill, priority, since);
        LogQueued(logger, conversationId, skill, priority);
        await ApplyAsync(assignments);
    }

    public async Task SetPresenceAsync(Agent agent, bool online)
    {
        var assignments = await store.SetPresenceAsync(agent.Id, online, agent.MaxConcurrent, agent.SkillList);
        await ApplyAsync(assignments);
    }

    public async Task ReleaseAsync(Guid conversationId)
    {
        var assignments = await store.ReleaseAsync(conversationId);
        await ApplyAsync(assignments);
    }

    public async Task ApplyAsync(IReadOnlyList<Assignment> assignments)
    {
        foreach (var assignment in assignments)
        {
            await using var db = await dbFactory.CreateDbContextAsync();
            var now = time.GetUtcNow();
            await db.Conversations
                .Where(c => c.Id == assignment.ConversationId && c.Status == ConversationStatus.Waiting)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(c => c.Status, ConversationStatus.Assigned)
                    .SetProperty(c => c.AssignedAgentId, assignment.AgentId)
                    .SetProperty(c => c.AssignedAt, now));
            LogAssigned(logger, assignment.ConversationId, assignment.AgentId);
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Assigned, assignment.ConversationId, assignment.AgentId));
        }
    }

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Conversation {ConversationId} queued for skill {Skill} at priority {Priority}")]
    private static partial void LogQueued(ILogger logger, Guid conversationId, string skill, int priority);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "Conversation {ConversationId} assigned to agent {AgentId}")]
    private static partial void LogAssigned(ILogger logger, Guid conversationId, Guid agentId);
}

using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Web;

public sealed record QueueDto(string Skill, int Waiting, double? OldestWaitSeconds, int AgentsAvailable);

public sealed record AgentLoadDto(Guid Id, string UserName, string DisplayName, string Presence, long Load, int MaxConcurrent, IReadOnlyList<string> Skills);

public sealed record OverviewDto(DateTimeOffset At, IReadOnlyList<QueueDto> Queues, IReadOnlyList<AgentLoadDto> Agents, IReadOnlyList<ConversationDto> Flagged);

/// <summary>The supervisor's view: queues per skill with waiting counts and oldest wait, agents with presence and load, conversations passed around too often.</summary>
internal static class SupervisorEndpoints
{
    public static void MapSupervisorApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/supervisor/overview", GetOverviewAsync).RequireAuthorization().WithTags("Supervisor");

    private static async Task<OverviewDto> GetOverviewAsync(
        IDbContextFactory<GatewayDbContext> dbFactory, RedisRoutingStore routing, RoutingRules rules, ChannelHost channels, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var waiting = await db.Conversations.AsNoTracking()
            .Where(c => c.Status == ConversationStatus.Waiting)
            .Select(c => new { c.Skill, c.CreatedAt })
            .ToListAsync(ct);
        var queues = new List<QueueDto>();
        foreach (var skill in rules.Current.Steps.Keys)
        {
            var mine = waiting.Where(w => w.Skill == skill).ToList();
            queues.Add(new QueueDto(
                skill,
                mine.Count,
                mine.Count == 0 ? null : Math.Round((now - mine.Min(w => w.CreatedAt)).TotalSeconds),
                (int)await routing.GetAvailableAgentCountAsync(skill)));
        }

        var agents = new List<AgentLoadDto>();
        foreach (var agent in await db.Agents.AsNoTracking().Where(a => a.Enabled).OrderBy(a => a.DisplayName).ToListAsync(ct))
        {
            agents.Add(new AgentLoadDto(agent.Id, agent.UserName, agent.DisplayName, await routing.GetPresenceAsync(agent.Id), await routing.GetLoadAsync(agent.Id), agent.MaxConcurrent, agent.SkillList));
        }

        var flagged = await db.Conversations.AsNoTracking().Include(c => c.Contact)
            .Where(c => c.NeedsSupervisor && c.Status != ConversationStatus.Closed)
            .Select(c => new
            {
                Conversation = c,
                LastInboundAt = db.InboundHeads.Where(h => h.ConversationId == c.Id).Select(h => (DateTimeOffset?)h.LastMessageAt).FirstOrDefault(),
                LastOtherAt = db.Messages.Where(m => m.ConversationId == c.Id && m.Direction != MessageDirection.In)
                    .OrderByDescending(m => m.CreatedAt).Select(m => (DateTimeOffset?)m.CreatedAt).FirstOrDefault(),
            })
            .ToListAsync(ct);
        foreach (var row in flagged)
        {
            ConversationQueries.WithLastMessage(row.Conversation, ConversationMessages.Latest(row.LastInboundAt, row.LastOtherAt));
        }

        return new OverviewDto(now, queues, agents, flagged.Select(r => r.Conversation.ToDto(r.Conversation.Contact!, channels.ChannelTypeOf)).ToList());
    }
}

using System.Security.Claims;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Web;

public sealed record QueueDto(string Skill, int Waiting, double? OldestWaitSeconds, int AgentsAvailable);

public sealed record AgentLoadDto(Guid Id, string UserName, string DisplayName, string Presence, long Load, int MaxConcurrent, IReadOnlyList<string> Skills);

/// <summary>A customer waiting longer than Routing:WaitingAlertAfter although an agent able to take them is online.</summary>
public sealed record WaitingAlertDto(Guid ConversationId, string Skill, string? CustomerName, double WaitingSeconds, int AgentsAvailable);

public sealed record OverviewDto(
    DateTimeOffset At,
    IReadOnlyList<QueueDto> Queues,
    IReadOnlyList<AgentLoadDto> Agents,
    IReadOnlyList<ConversationDto> Flagged,
    IReadOnlyList<WaitingAlertDto> Alerts,
    double WaitingAlertAfterSeconds);

/// <summary>A queue an agent serves: how many wait and for how long; nothing about other agents.</summary>
public sealed record ServedQueueDto(string Skill, int Waiting, double? OldestWaitSeconds);

/// <summary>An agent's name, for choosing a transfer target.</summary>
public sealed record AgentNameDto(Guid Id, string UserName, string DisplayName);

/// <summary>What an agent sees of the queues: the ones they serve, and the names of queues and agents they can transfer to.</summary>
public sealed record AgentQueuesDto(DateTimeOffset At, IReadOnlyList<ServedQueueDto> Queues, IReadOnlyList<string> TransferQueues, IReadOnlyList<AgentNameDto> TransferAgents);

/// <summary>
/// The supervisor's view (supervisors only): queues per skill with waiting count and oldest wait, agents
/// with presence and load, conversations passed around too often, and customers waiting too long while
/// someone able to take them is online. Every agent gets the queues they serve.
/// </summary>
internal static class SupervisorEndpoints
{
    /// <summary>Most alerts listed at once; more means routing is badly stuck, and the first ones say where.</summary>
    private const int MaxAlerts = 50;

    public static void MapSupervisorApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/supervisor/overview", GetOverviewAsync).RequireAuthorization(AuthPolicies.Supervisor).WithTags("Supervisor");
        app.MapGet("/api/queues", GetQueuesAsync).RequireAuthorization().WithTags("Agent desk");
        app.MapSatisfaction();
    }

    private static async Task<Results<Ok<AgentQueuesDto>, UnauthorizedHttpResult>> GetQueuesAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, RoutingRules rules, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var id = Guid.Parse(http.User.FindFirstValue(ClaimTypes.NameIdentifier)!);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agent = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id && a.Enabled, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var snapshot = rules.Current;
        var served = snapshot.QueuesFor(agent.SkillList, agent.AttributeMap);
        var waiting = await db.Conversations.AsNoTracking()
            .Where(c => c.Status == ConversationStatus.Waiting && served.Contains(c.Skill))
            .Select(c => new { c.Skill, c.CreatedAt })
            .ToListAsync(ct);
        var queues = served.Select(skill =>
        {
            var mine = waiting.Where(w => w.Skill == skill).ToList();
            return new ServedQueueDto(skill, mine.Count, mine.Count == 0 ? null : Math.Round((now - mine.Min(w => w.CreatedAt)).TotalSeconds));
        }).ToList();
        var names = await db.Agents.AsNoTracking().Where(a => a.Enabled).OrderBy(a => a.DisplayName)
            .Select(a => new AgentNameDto(a.Id, a.UserName, a.DisplayName)).ToListAsync(ct);
        return TypedResults.Ok(new AgentQueuesDto(now, queues, snapshot.Steps.Keys.Order(StringComparer.Ordinal).ToList(), names));
    }

    private static async Task<OverviewDto> GetOverviewAsync(
        IDbContextFactory<GatewayDbContext> dbFactory, RedisRoutingStore routing, RoutingRules rules, ChannelRegistry channels,
        IOptions<RoutingOptions> options, TimeProvider time, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var waiting = await db.Conversations.AsNoTracking()
            .Where(c => c.Status == ConversationStatus.Waiting)
            .Select(c => new { c.Id, c.Skill, c.CreatedAt, Since = c.StepEnteredAt ?? c.CreatedAt, c.LastInstanceId, Customer = c.Contact!.DisplayName })
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

        // Waiting too long in its queue while an agent who could take it now (online, room, desk there) is online:
        // routing should have placed it, so a supervisor should look. One check per queue and channel type.
        var alertAfter = options.Value.WaitingAlertAfter;
        var alerts = new List<WaitingAlertDto>();
        var able = new Dictionary<(string, string?), bool>();
        foreach (var w in waiting.Where(w => now - w.Since >= alertAfter).OrderBy(w => w.Since))
        {
            var channelType = channels.ChannelTypeOf(w.LastInstanceId);
            if (!able.TryGetValue((w.Skill, channelType), out var anyAble))
            {
                anyAble = able[(w.Skill, channelType)] = await routing.HasOtherAbleAgentAsync(w.Skill, null, channelType);
            }

            if (anyAble && alerts.Count < MaxAlerts)
            {
                alerts.Add(new WaitingAlertDto(w.Id, w.Skill, w.Customer, Math.Round((now - w.Since).TotalSeconds), queues.FirstOrDefault(q => q.Skill == w.Skill)?.AgentsAvailable ?? 0));
            }
        }

        return new OverviewDto(
            now, queues, agents, flagged.Select(r => r.Conversation.ToDto(r.Conversation.Contact!, channels.ChannelTypeOf)).ToList(), alerts, alertAfter.TotalSeconds);
    }

    /// <summary>
    /// <c>GET /api/supervisor/satisfaction?days=30</c>: the satisfaction survey's ratings of the last <c>days</c> days
    /// (by when the customer rated) per agent who closed the conversation: count, average and how many of each 1-5.
    /// </summary>
    private static void MapSatisfaction(this IEndpointRouteBuilder app) =>
        app.MapGet("/api/supervisor/satisfaction", async (
            HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IOptions<BusinessHoursOptions> hours, TimeProvider time, CancellationToken ct) =>
        {
            var days = 30;
            if (http.Request.Query.TryGetValue("days", out var given)
                && (given.Count != 1 || !int.TryParse(given.ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out days) || days is < 1 or > 366))
            {
                return Results.Json(new { error = "days must be a whole number of days from 1 to 366" }, statusCode: StatusCodes.Status400BadRequest);
            }

            var now = time.GetUtcNow();
            var since = now.AddDays(-days);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var ratings = await db.Conversations.AsNoTracking()
                .Where(c => c.SurveyRating != null && c.SurveyRatedAt >= since && c.ClosedByAgentId != null)
                .GroupBy(c => new { AgentId = c.ClosedByAgentId!.Value, Rating = c.SurveyRating!.Value })
                .Select(g => new { g.Key.AgentId, g.Key.Rating, Count = g.Count() })
                .ToListAsync(ct);
            var agentIds = ratings.Select(r => r.AgentId).Distinct().ToList();
            var names = await db.Agents.AsNoTracking().Where(a => agentIds.Contains(a.Id))
                .ToDictionaryAsync(a => a.Id, a => new { a.UserName, a.DisplayName }, ct);
            var zone = TimeZoneInfo.FindSystemTimeZoneById(hours.Value.TimeZone);
            var agents = ratings.GroupBy(r => r.AgentId).Select(g =>
            {
                var count = g.Sum(r => r.Count);
                names.TryGetValue(g.Key, out var name);
                return new
                {
                    agentId = g.Key,
                    userName = name?.UserName,
                    displayName = name?.DisplayName,
                    count,
                    average = Math.Round((double)g.Sum(r => r.Rating * r.Count) / count, 2),
                    distribution = Enumerable.Range(1, 5).ToDictionary(
                        n => n.ToString(System.Globalization.CultureInfo.InvariantCulture), n => g.Where(r => r.Rating == n).Sum(r => r.Count)),
                };
            }).OrderByDescending(a => a.count).ThenBy(a => a.displayName, StringComparer.Ordinal).ToList();
            return Results.Ok(new
            {
                days,
                from = TimeZoneInfo.ConvertTime(since, zone),
                to = TimeZoneInfo.ConvertTime(now, zone),
                count = agents.Sum(a => a.count),
                agents,
            });
        }).RequireAuthorization(AuthPolicies.Supervisor).WithTags("Supervisor");
}

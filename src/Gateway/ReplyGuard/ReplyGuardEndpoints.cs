using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.ReplyGuard;

/// <summary>A draft reply to check before it is sent.</summary>
public sealed record ReplyCheckRequest(Guid? ConversationId, string? Text);

/// <summary>The forbidden phrases a reply carries (empty: none).</summary>
public sealed record ReplyCheckDto(IReadOnlyList<ForbiddenMatch> Matches);

/// <summary>A reply refused for its forbidden phrases: send it again with <c>confirmForbidden: true</c> to send it anyway.</summary>
public sealed record ForbiddenReplyDto(string Error, IReadOnlyList<ForbiddenMatch> Matches);

/// <summary>Replies sent despite a forbidden phrase, over <see cref="Days"/> days: the total, per agent, and the latest.</summary>
public sealed record ReplyOverridesDto(int Days, int Total, IReadOnlyList<AgentOverridesDto> ByAgent, IReadOnlyList<ReplyOverrideDto> Recent);

public sealed record AgentOverridesDto(Guid AgentId, string? AgentName, int Count);

public sealed record ReplyOverrideDto(Guid AgentId, string? AgentName, Guid ConversationId, Guid? MessageId, string Phrase, DateTimeOffset At);

/// <summary>The phrase check agents' desks run before sending, and the supervisors' count of replies sent anyway.</summary>
internal static class ReplyGuardEndpoints
{
    public static void MapReplyGuardApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/replies").RequireAuthorization();
        api.MapPost("/check", CheckAsync).WithTags("Agent desk");
        api.MapGet("/overrides", OverridesAsync).RequireAuthorization(AuthPolicies.Supervisor).WithTags("Supervisor");
    }

    private static async Task<Results<Ok<ReplyCheckDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>>> CheckAsync(
        HttpContext http, ForbiddenPhrases phrases, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ReplyCheckRequest>(http, ct);
        if (request?.Text is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? "text is required: send { \"conversationId\": \"...\", \"text\": \"...\" }"));
        }

        if (request.Text.Length > ConversationService.MaxReplyLength)
        {
            return TypedResults.BadRequest(new ErrorDto($"text is {request.Text.Length} characters; the limit is {ConversationService.MaxReplyLength}"));
        }

        if (request.ConversationId is { } id)
        {
            var agent = ApiEndpoints.AgentId(http);
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            if (!await db.Conversations.AnyAsync(c => c.Id == id && c.AssignedAgentId == agent, ct))
            {
                return TypedResults.NotFound(new ErrorDto("no such conversation among yours"));
            }
        }

        return TypedResults.Ok(new ReplyCheckDto(phrases.Find(request.Text)));
    }

    private static async Task<Results<Ok<ReplyOverridesDto>, BadRequest<ErrorDto>>> OverridesAsync(
        int? days, IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, CancellationToken ct)
    {
        var span = days ?? 7;
        if (span is < 1 or > 366)
        {
            return TypedResults.BadRequest(new ErrorDto("days must be from 1 to 366"));
        }

        var since = time.GetUtcNow().AddDays(-span);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var counts = await db.ReplyOverrides.AsNoTracking().Where(o => o.CreatedAt >= since)
            .GroupBy(o => o.AgentId).Select(g => new { AgentId = g.Key, Count = g.Count() }).ToListAsync(ct);
        var recent = await db.ReplyOverrides.AsNoTracking().Where(o => o.CreatedAt >= since)
            .OrderByDescending(o => o.CreatedAt).Take(100).ToListAsync(ct);
        var agentIds = counts.Select(c => c.AgentId).ToList();
        var names = await db.Agents.AsNoTracking().Where(a => agentIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.DisplayName, ct);
        return TypedResults.Ok(new ReplyOverridesDto(
            span,
            counts.Sum(c => c.Count),
            [.. counts.OrderByDescending(c => c.Count).Select(c => new AgentOverridesDto(c.AgentId, names.GetValueOrDefault(c.AgentId), c.Count))],
            [.. recent.Select(o => new ReplyOverrideDto(o.AgentId, names.GetValueOrDefault(o.AgentId), o.ConversationId, o.MessageId, o.Phrase, o.CreatedAt))]));
    }

    /// <summary>Keeps one row per phrase of a reply the agent sent anyway.</summary>
    public static async Task RecordAsync(
        IDbContextFactory<GatewayDbContext> dbFactory, Guid agentId, Guid conversationId, Guid? messageId, IReadOnlyList<ForbiddenMatch> matches, DateTimeOffset now)
    {
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        foreach (var m in matches)
        {
            db.ReplyOverrides.Add(new ReplyOverride
            {
                Id = Ids.NewVersion7(now),
                AgentId = agentId,
                ConversationId = conversationId,
                MessageId = messageId,
                Phrase = m.Phrase.Length > ReplyGuardOptionsValidator.MaxPhraseLength ? m.Phrase[..ReplyGuardOptionsValidator.MaxPhraseLength] : m.Phrase,
                CreatedAt = now,
            });
        }

        await db.SaveChangesAsync(CancellationToken.None);
    }
}

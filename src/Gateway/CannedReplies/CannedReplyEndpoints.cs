using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.Orders;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.CannedReplies;

/// <summary>
/// A canned reply to create or change. <paramref name="Shared"/> (supervisors only) makes it the team's; <paramref name="Skill"/>
/// limits a shared one to that skill's agents; <paramref name="AttachmentIds"/> its files (0-5, uploaded with
/// <c>POST /api/canned-replies/files</c>; left out on a change: the files stay as they are).
/// </summary>
public sealed record CannedReplyRequest(string? Shortcut, string? Title, string? Text, bool Shared = false, string? Skill = null, IReadOnlyList<string>? AttachmentIds = null);

/// <summary>
/// A canned reply as the desk shows it: <c>scope</c> <c>shared</c> or <c>personal</c>, <c>editable</c> by the one asking, and
/// <c>filled</c>, its text with the variables filled for the conversation asked about (none asked: null).
/// </summary>
public sealed record CannedReplyDto(Guid Id, string Shortcut, string Title, string Text, string Scope, string? Skill, bool Editable, string? Filled, DateTimeOffset UpdatedAt)
{
    /// <summary>The reply's files (a size chart, a payment QR code), in order; inserting the reply copies them for the conversation (<c>POST /api/canned-replies/{id}/copies</c>).</summary>
    public IReadOnlyList<AttachmentDto> Attachments { get; init; } = [];
}

/// <summary>
/// Canned replies (话术 / 快捷回复): every agent reads the shared ones (of their skills, or of the conversation's) and their own;
/// agents manage their own, supervisors the shared ones. Someone else's personal reply is not found.
/// </summary>
internal static class CannedReplyEndpoints
{
    public const int MaxPersonal = 200;
    public const int MaxShared = 1000;

    public static void MapCannedRepliesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/canned-replies").RequireAuthorization().WithTags("Agent desk");
        api.MapGet("", ListAsync);
        api.MapPost("", CreateAsync);
        api.MapPut("/{id:guid}", UpdateAsync);
        api.MapDelete("/{id:guid}", DeleteAsync);
        api.MapCannedReplyFiles();
    }

    private static async Task<Results<Ok<List<CannedReplyDto>>, NotFound<ErrorDto>, UnauthorizedHttpResult>> ListAsync(
        Guid? conversationId, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, FollowUpSettings settings, IOptions<CannedReplyOptions> options,
        CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var supervisor = agent.Role == AgentRoles.Supervisor;
        Conversation? conversation = null;
        if (conversationId is { } cid)
        {
            conversation = await db.Conversations.AsNoTracking().Include(c => c.Contact).FirstOrDefaultAsync(c => c.Id == cid, ct);
            if (conversation is null || (conversation.AssignedAgentId != agent.Id && !supervisor))
            {
                return TypedResults.NotFound(new ErrorDto("no such conversation among yours"));
            }
        }

        var skills = agent.SkillList.ToList();
        if (conversation is not null)
        {
            skills.Add(conversation.Skill);
        }

        var rows = await db.CannedReplies.AsNoTracking()
            .Where(r => r.AgentId == agent.Id || (r.AgentId == null && (supervisor || r.Skill == null || skills.Contains(r.Skill))))
            .ToListAsync(ct);

        Func<string, string?> fill = _ => null;
        if (conversation is not null)
        {
            var contacts = await MergedContacts.WithMergedAsync(db, conversation.ContactId, ct);
            var orders = await db.Orders.AsNoTracking().Where(o => contacts.Contains(o.ContactId)).ToListAsync(ct);
            // The order going on (newest), else the newest of all: what a customer writing in asks about.
            var order = orders.Where(o => o.State is not (OrderState.Refunded or OrderState.Cancelled)).MaxBy(o => o.PlacedAt ?? o.CreatedAt)
                ?? orders.MaxBy(o => o.PlacedAt ?? o.CreatedAt);
            var contact = conversation.Contact;
            var known = new[] { contact?.DisplayName, contact?.DeclaredName, order?.BuyerName }.FirstOrDefault(n => !string.IsNullOrWhiteSpace(n))?.Trim();
            var shop = settings.Current;
            fill = text =>
            {
                var chinese = CannedReplyText.IsChinese(text);
                return CannedReplyText.Fill(text, CannedReplyText.Values(known ?? options.Value.FallbackFor(text), agent.DisplayName, shop.ShopNameIn(chinese ? "zh" : "en"), shop.DispatchCutoff, order, chinese));
            };
        }

        var files = await CannedReplyFiles.FilesOfAsync(db, rows.Select(r => r.Id).ToList(), ct);
        return TypedResults.Ok(rows
            .OrderBy(r => r.AgentId is null ? 1 : 0)
            .ThenBy(r => r.Shortcut, StringComparer.Ordinal)
            .Select(r => ToDto(r, agent, fill(r.Text)) with { Attachments = files.GetValueOrDefault(r.Id) ?? [] })
            .ToList());
    }

    private static async Task<Results<Created<CannedReplyDto>, BadRequest<ErrorDto>, ForbidHttpResult, UnauthorizedHttpResult>> CreateAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, RoutingRules routing, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<CannedReplyRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        if (request.Shared && agent.Role != AgentRoles.Supervisor)
        {
            return TypedResults.Forbid();
        }

        var owner = request.Shared ? (Guid?)null : agent.Id;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await ProblemAsync(db, request, owner, null, routing, ct) is { } problem
            || await CannedReplyFiles.ProblemAsync(db, request.AttachmentIds, agent.Id, null, ct) is { } fileProblem && (problem = fileProblem) is not null)
        {
            return TypedResults.BadRequest(new ErrorDto(problem));
        }

        var count = await db.CannedReplies.CountAsync(r => r.AgentId == owner, ct);
        if (count >= (owner is null ? MaxShared : MaxPersonal))
        {
            return TypedResults.BadRequest(new ErrorDto($"there are already {count} {(owner is null ? "shared" : "personal")} replies, the most kept; delete one first"));
        }

        var now = time.GetUtcNow();
        var reply = new CannedReply
        {
            Id = Ids.NewVersion7(now),
            AgentId = owner,
            CreatedAt = now,
            Shortcut = "",
            Title = "",
            Text = "",
        };
        Apply(reply, request, now);
        db.CannedReplies.Add(reply);
        await CannedReplyFiles.LinkAsync(db, reply.Id, request.AttachmentIds, ct);
        if (!await SaveAsync(db))
        {
            return TypedResults.BadRequest(new ErrorDto(Duplicate(reply.Shortcut, owner)));
        }

        return TypedResults.Created($"/api/canned-replies/{reply.Id}", await WithFilesAsync(db, ToDto(reply, agent, null), ct));
    }

    private static async Task<Results<Ok<CannedReplyDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, ForbidHttpResult, UnauthorizedHttpResult>> UpdateAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, RoutingRules routing, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<CannedReplyRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (reply, denied) = await FindAsync(db, id, agent, ct);
        if (reply is null)
        {
            return TypedResults.NotFound(new ErrorDto("no such canned reply among yours and the shared ones"));
        }

        if (denied)
        {
            return TypedResults.Forbid();
        }

        // A reply keeps its scope: shared stays shared, personal stays its owner's.
        request = request with { Shared = reply.AgentId is null };
        if (await ProblemAsync(db, request, reply.AgentId, reply.Id, routing, ct) is { } problem
            || await CannedReplyFiles.ProblemAsync(db, request.AttachmentIds, agent.Id, reply.Id, ct) is { } fileProblem && (problem = fileProblem) is not null)
        {
            return TypedResults.BadRequest(new ErrorDto(problem));
        }

        Apply(reply, request, time.GetUtcNow());
        await CannedReplyFiles.LinkAsync(db, reply.Id, request.AttachmentIds, ct);
        if (!await SaveAsync(db))
        {
            return TypedResults.BadRequest(new ErrorDto(Duplicate(reply.Shortcut, reply.AgentId)));
        }

        return TypedResults.Ok(await WithFilesAsync(db, ToDto(reply, agent, null), ct));
    }

    private static async Task<Results<NoContent, NotFound<ErrorDto>, ForbidHttpResult, UnauthorizedHttpResult>> DeleteAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (reply, denied) = await FindAsync(db, id, agent, ct);
        if (reply is null)
        {
            return TypedResults.NotFound(new ErrorDto("no such canned reply among yours and the shared ones"));
        }

        if (denied)
        {
            return TypedResults.Forbid();
        }

        // Its files are no longer kept: the clean-up deletes them like any file no message took.
        db.CannedReplyAttachments.RemoveRange(await db.CannedReplyAttachments.Where(l => l.CannedReplyId == reply.Id).ToListAsync(ct));
        db.CannedReplies.Remove(reply);
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.NoContent();
    }

    /// <summary>The reply if the agent may see it, and whether they may not change it (an agent and a shared reply).</summary>
    private static async Task<(CannedReply? Reply, bool Denied)> FindAsync(GatewayDbContext db, Guid id, Agent agent, CancellationToken ct)
    {
        var reply = await db.CannedReplies.FirstOrDefaultAsync(r => r.Id == id, ct);
        var supervisor = agent.Role == AgentRoles.Supervisor;
        if (reply is null || (reply.AgentId is { } owner && owner != agent.Id)
            || (reply.AgentId is null && !supervisor && reply.Skill is { } skill && !agent.SkillList.Contains(skill)))
        {
            return (null, false);
        }

        return (reply, reply.AgentId is null && !supervisor);
    }

    private static async Task<string?> ProblemAsync(GatewayDbContext db, CannedReplyRequest request, Guid? owner, Guid? self, RoutingRules routing, CancellationToken ct)
    {
        if (CannedReplyText.Problem(request.Shortcut, request.Title, request.Text) is { } problem)
        {
            return problem;
        }

        if (!string.IsNullOrWhiteSpace(request.Skill))
        {
            if (!request.Shared)
            {
                return "skill is for shared replies; a personal reply is shown in all of your conversations";
            }

            var skills = routing.Current.Options.Skills;
            if (!skills.Contains(request.Skill.Trim(), StringComparer.OrdinalIgnoreCase))
            {
                return $"unknown skill '{request.Skill.Trim()}' (one of {string.Join(", ", skills)})";
            }
        }

        var shortcut = CannedReplyText.NormalShortcut(request.Shortcut);
        return await db.CannedReplies.AnyAsync(r => r.AgentId == owner && r.Shortcut == shortcut && r.Id != self, ct) ? Duplicate(shortcut, owner) : null;
    }

    private static string Duplicate(string shortcut, Guid? owner) =>
        $"shortcut '{shortcut}' is already used by another of {(owner is null ? "the shared replies" : "your replies")}";

    private static void Apply(CannedReply reply, CannedReplyRequest request, DateTimeOffset now)
    {
        reply.Shortcut = CannedReplyText.NormalShortcut(request.Shortcut);
        reply.Title = request.Title!.Trim();
        reply.Text = request.Text!.Trim();
        reply.Skill = request.Shared && !string.IsNullOrWhiteSpace(request.Skill) ? request.Skill.Trim().ToLowerInvariant() : null;
        reply.UpdatedAt = now;
    }

    /// <summary>Saves; false when another request took the shortcut in the meantime (the unique index).</summary>
    private static async Task<bool> SaveAsync(GatewayDbContext db)
    {
        try
        {
            await db.SaveChangesAsync(CancellationToken.None);
            return true;
        }
        catch (DbUpdateException ex) when (ex.InnerException is Microsoft.Data.Sqlite.SqliteException { SqliteErrorCode: 19 } or Npgsql.PostgresException { SqlState: "23505" })
        {
            return false;
        }
    }

    private static async Task<CannedReplyDto> WithFilesAsync(GatewayDbContext db, CannedReplyDto dto, CancellationToken ct) =>
        dto with { Attachments = (await CannedReplyFiles.FilesOfAsync(db, [dto.Id], ct)).GetValueOrDefault(dto.Id) ?? [] };

    private static CannedReplyDto ToDto(CannedReply r, Agent agent, string? filled) => new(
        r.Id, r.Shortcut, r.Title, r.Text, r.AgentId is null ? "shared" : "personal", r.Skill,
        r.AgentId == agent.Id || (r.AgentId is null && agent.Role == AgentRoles.Supervisor), filled, r.UpdatedAt);
}

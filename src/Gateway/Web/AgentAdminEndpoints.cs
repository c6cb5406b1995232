using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Web;

public sealed record AdminAgentDto(Guid Id, string UserName, string DisplayName, string Role, IReadOnlyList<string> Skills, int MaxConcurrent, bool Enabled, bool FromConfiguration, string Presence, DateTimeOffset? PasswordChangedAt);

public sealed record CreateAgentRequest(string? UserName, string? DisplayName, string? Password, string? Role, List<string>? Skills, int? MaxConcurrent);

public sealed record UpdateAgentRequest(string? DisplayName, string? Role, List<string>? Skills, int? MaxConcurrent, bool? Enabled);

public sealed record ResetPasswordRequest(string? NewPassword);

/// <summary>
/// Supervisors manage agents (list, create, change, disable, reset a password) and read the routing rules in
/// force. Agents from configuration can be changed here too; a later change of their Agents:Seed entry wins.
/// </summary>
internal static class AgentAdminEndpoints
{
    public static void MapAgentAdminApi(this IEndpointRouteBuilder app)
    {
        var admin = app.MapGroup("/api/admin").RequireAuthorization(AuthPolicies.Supervisor).WithTags("Supervisor");
        admin.MapGet("/agents", ListAsync);
        admin.MapPost("/agents", CreateAsync);
        admin.MapPut("/agents/{id:guid}", UpdateAsync);
        admin.MapPost("/agents/{id:guid}/password", ResetPasswordAsync);
        admin.MapGet("/routing", (RoutingRules rules) => TypedResults.Ok(rules.Current.Options));
    }

    private static async Task<Ok<List<AdminAgentDto>>> ListAsync(IDbContextFactory<GatewayDbContext> dbFactory, RedisRoutingStore routing, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var result = new List<AdminAgentDto>();
        foreach (var agent in await db.Agents.AsNoTracking().OrderBy(a => a.UserName).ToListAsync(ct))
        {
            result.Add(await ToDtoAsync(agent, routing));
        }

        return TypedResults.Ok(result);
    }

    private static async Task<IResult> CreateAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, RoutingRules rules, RedisRoutingStore routing, IOptionsMonitor<AuthOptions> auth, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<CreateAgentRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var userName = request.UserName?.Trim() ?? "";
        var role = request.Role ?? AgentRoles.Agent;
        var skills = Normalize(request.Skills);
        var max = request.MaxConcurrent ?? 5;
        var errors = AgentRules.Check(userName, role, skills, max, rules.Current.Options.Skills).ToList();
        if (errors.Count == 0 && AgentRules.CheckPassword(request.Password, userName, auth.CurrentValue.MinPasswordLength) is { } passwordError)
        {
            errors.Add(passwordError);
        }

        if (errors.Count > 0)
        {
            return TypedResults.BadRequest(new ErrorDto(string.Join("; ", errors)));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await db.Agents.AnyAsync(a => a.UserName == userName, ct))
        {
            return TypedResults.Conflict(new ErrorDto($"an agent named '{userName}' exists already"));
        }

        var agent = new Agent
        {
            Id = Guid.NewGuid(),
            UserName = userName,
            DisplayName = string.IsNullOrWhiteSpace(request.DisplayName) ? userName : request.DisplayName.Trim(),
            PasswordHash = PasswordHasher.Hash(request.Password!),
            PasswordChangedAt = time.GetUtcNow(),
            Role = role,
            Skills = string.Join(',', skills),
            MaxConcurrent = max,
        };
        db.Agents.Add(agent);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            return TypedResults.Conflict(new ErrorDto($"an agent named '{userName}' exists already"));
        }

        return TypedResults.Created($"/api/admin/agents/{agent.Id}", await ToDtoAsync(agent, routing));
    }

    private static async Task<IResult> UpdateAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, RoutingRules rules, RedisRoutingStore routing, ConversationRouter router, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<UpdateAgentRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (agent is null)
        {
            return TypedResults.NotFound(new ErrorDto("no such agent"));
        }

        var skills = request.Skills is null ? agent.SkillList.ToList() : Normalize(request.Skills);
        var role = request.Role ?? agent.Role;
        var max = request.MaxConcurrent ?? agent.MaxConcurrent;
        var errors = AgentRules.Check(agent.UserName, role, skills, max, rules.Current.Options.Skills).ToList();
        if (request.DisplayName is { } name && (string.IsNullOrWhiteSpace(name) || name.Length > 100))
        {
            errors.Add("displayName must be 1-100 characters");
        }

        if (id == ApiEndpoints.AgentId(http) && (request.Enabled == false || role != AgentRoles.Supervisor))
        {
            errors.Add("supervisors cannot disable themselves or take away their own supervisor role");
        }

        if (errors.Count > 0)
        {
            return TypedResults.BadRequest(new ErrorDto(string.Join("; ", errors)));
        }

        var disabling = agent.Enabled && request.Enabled == false;
        agent.DisplayName = request.DisplayName?.Trim() ?? agent.DisplayName;
        agent.Role = role;
        agent.Skills = string.Join(',', skills);
        agent.MaxConcurrent = max;
        agent.Enabled = request.Enabled ?? agent.Enabled;
        await db.SaveChangesAsync(ct);

        var presence = await routing.GetPresenceAsync(agent.Id);
        if (disabling)
        {
            // Their sessions stop working at once, and their conversations go to others.
            await AgentSessions.EndAllAsync(db, agent.Id, keep: null, time.GetUtcNow(), ct);
            await router.SetPresenceAsync(agent, AgentPresence.Offline);
        }
        else if (agent.Enabled && presence != AgentPresence.Offline)
        {
            // New skills and capacity take effect for an agent at the desk now, not at their next sign-in.
            await router.SetPresenceAsync(agent, presence);
        }

        return TypedResults.Ok(await ToDtoAsync(agent, routing));
    }

    private static async Task<IResult> ResetPasswordAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IOptionsMonitor<AuthOptions> auth, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ResetPasswordRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Id == id, ct);
        if (agent is null)
        {
            return TypedResults.NotFound(new ErrorDto("no such agent"));
        }

        if (AgentRules.CheckPassword(request.NewPassword, agent.UserName, auth.CurrentValue.MinPasswordLength) is { } problem)
        {
            return TypedResults.BadRequest(new ErrorDto(problem));
        }

        var now = time.GetUtcNow();
        agent.PasswordHash = PasswordHasher.Hash(request.NewPassword!);
        agent.PasswordChangedAt = now;
        await db.SaveChangesAsync(ct);
        // Whoever knew the old password is signed out everywhere (the supervisor's own session too, if it was theirs).
        var keep = id == ApiEndpoints.AgentId(http) ? AgentSessions.SessionId(http.User) : null;
        var ended = await AgentSessions.EndAllAsync(db, agent.Id, keep, now, ct);
        return TypedResults.Ok(new { endedSessions = ended });
    }

    private static List<string> Normalize(List<string>? skills) =>
        (skills ?? []).Where(s => !string.IsNullOrWhiteSpace(s)).Select(s => s.Trim().ToLowerInvariant()).Distinct().ToList();

    private static async Task<AdminAgentDto> ToDtoAsync(Agent agent, RedisRoutingStore routing) =>
        new(agent.Id, agent.UserName, agent.DisplayName, agent.Role, agent.SkillList, agent.MaxConcurrent, agent.Enabled, agent.FromConfiguration,
            await routing.GetPresenceAsync(agent.Id), agent.PasswordChangedAt);
}

using System.Security.Claims;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// Server-side desk sessions: a row per sign-in, named by the cookie. Every cookie-authenticated request
/// checks its row (a primary-key read), so sign-out, a password change or a disabled agent ends the
/// session on every instance at once.
/// </summary>
internal sealed partial class AgentSessions(
    IDbContextFactory<GatewayDbContext> dbFactory, IOptionsMonitor<AuthOptions> options, TimeProvider time, DeskConnections desks, ILogger<AgentSessions> logger)
{
    public const string SessionClaim = "cg:session";

    /// <summary>How stale LastSeenAt may get before a request moves it (and the expiry) on.</summary>
    private static readonly TimeSpan TouchInterval = TimeSpan.FromMinutes(1);

    public async Task<ClaimsPrincipal> StartAsync(Agent agent, HttpContext http, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var session = new AgentSession
        {
            Id = Guid.NewGuid(),
            AgentId = agent.Id,
            CreatedAt = now,
            LastSeenAt = now,
            ExpiresAt = now + options.CurrentValue.SessionLifetime,
            ClientAddress = http.Connection.RemoteIpAddress?.ToString(),
            UserAgent = Truncate(http.Request.Headers.UserAgent.ToString(), 256),
        };
        await using (var db = await dbFactory.CreateDbContextAsync(ct))
        {
            db.AgentSessions.Add(session);
            await db.SaveChangesAsync(ct);
        }

        LogStarted(logger, agent.Id);
        return Principal(agent.Id, agent.UserName, agent.Role, session.Id);
    }

    public static ClaimsPrincipal Principal(Guid agentId, string userName, string role, Guid sessionId) =>
        new(new ClaimsIdentity(
            [
                new Claim(ClaimTypes.NameIdentifier, agentId.ToString()),
                new Claim(ClaimTypes.Name, userName),
                new Claim(ClaimTypes.Role, role),
                new Claim(SessionClaim, sessionId.ToString()),
            ],
            CookieAuthenticationDefaults.AuthenticationScheme));

    public static Guid? SessionId(ClaimsPrincipal user) =>
        Guid.TryParse(user.FindFirstValue(SessionClaim), out var id) ? id : null;

    public async Task EndAsync(Guid sessionId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = time.GetUtcNow();
        await db.AgentSessions.Where(s => s.Id == sessionId && s.EndedAt == null).ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), ct);
        desks.SessionsEnded();
    }

    /// <summary>Ends every open session of the agent but <paramref name="keep"/> (their live desk connections close at the next sweep of <see cref="DeskConnections"/>, within seconds).</summary>
    public static async Task<int> EndAllAsync(GatewayDbContext db, Guid agentId, Guid? keep, DateTimeOffset now, CancellationToken ct) =>
        await db.AgentSessions.Where(s => s.AgentId == agentId && s.EndedAt == null && s.Id != keep)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.EndedAt, now), ct);

    /// <summary>The cookie handler's check on every request: the session is open, unexpired, and its agent enabled. A changed role is taken over.</summary>
    public async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var sessionId = context.Principal is null ? null : SessionId(context.Principal);
        if (sessionId is null)
        {
            await RejectAsync(context);
            return;
        }

        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(context.HttpContext.RequestAborted);
        var row = await db.AgentSessions.AsNoTracking()
            .Where(s => s.Id == sessionId)
            .Select(s => new { s.AgentId, s.EndedAt, s.ExpiresAt, s.LastSeenAt, Agent = db.Agents.Where(a => a.Id == s.AgentId).Select(a => new { a.Enabled, a.Role, a.UserName }).FirstOrDefault() })
            .FirstOrDefaultAsync(context.HttpContext.RequestAborted);
        if (row is null || row.EndedAt is not null || row.ExpiresAt <= now || row.Agent is null || !row.Agent.Enabled)
        {
            await RejectAsync(context);
            return;
        }

        if (now - row.LastSeenAt > TouchInterval)
        {
            var expires = now + options.CurrentValue.SessionLifetime;
            await db.AgentSessions.Where(s => s.Id == sessionId).ExecuteUpdateAsync(s => s.SetProperty(x => x.LastSeenAt, now).SetProperty(x => x.ExpiresAt, expires), context.HttpContext.RequestAborted);
        }

        if (!context.Principal!.IsInRole(row.Agent.Role))
        {
            context.ReplacePrincipal(Principal(row.AgentId, row.Agent.UserName, row.Agent.Role, sessionId.Value));
            context.ShouldRenew = true;
        }
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
    }

    private static string? Truncate(string value, int length) => value.Length == 0 ? null : value.Length <= length ? value : value[..length];

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Agent {AgentId} signed in")]
    private static partial void LogStarted(ILogger logger, Guid agentId);
}

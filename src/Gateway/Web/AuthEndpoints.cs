using System.Globalization;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Web;

public sealed record ChangePasswordRequest(string? CurrentPassword, string? NewPassword);

/// <summary>Sign-in (throttled, with lockout), sign-out (ends the session server-side) and an agent's own password change.</summary>
internal static partial class AuthEndpoints
{
    public static void MapAuthApi(this RouteGroupBuilder api)
    {
        api.MapPost("/auth/login", LoginAsync).AllowAnonymous().RequireRateLimiting(SignInThrottle.AddressPolicy);
        api.MapPost("/auth/logout", LogoutAsync).AllowAnonymous();
        api.MapPost("/agents/me/password", ChangePasswordAsync).RequireAuthorization();
    }

    private static async Task<IResult> LoginAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, RedisConnection redis, SignInThrottle throttle, AgentSessions sessions,
        ILoggerFactory loggers, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<LoginRequest>(http, ct);
        if (request is null || string.IsNullOrWhiteSpace(request.UserName) || string.IsNullOrEmpty(request.Password))
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? "userName and password are required"));
        }

        if (request.UserName.Length > 64 || request.Password.Length > 256)
        {
            return TypedResults.BadRequest(new ErrorDto("userName is at most 64 characters, password at most 256"));
        }

        var userName = request.UserName.Trim();
        var key = SignInThrottle.Normalize(userName);
        var wait = await throttle.CheckAsync(key);
        if (wait is { } retry)
        {
            return TooMany(http, retry, "too many sign-in attempts for this user name; try again later");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.UserName == userName && a.Enabled, ct);
        // An unknown name costs the same hashing as a wrong password, so timing does not tell which names exist.
        var needsRehash = false;
        var verified = agent is null ? PasswordHasher.VerifyUnknown(request.Password) : PasswordHasher.Verify(request.Password, agent.PasswordHash, out needsRehash);
        if (!verified)
        {
            await throttle.FailedAsync(key);
            return TypedResults.Json(new ErrorDto("wrong user name or password"), statusCode: StatusCodes.Status401Unauthorized);
        }

        await throttle.SucceededAsync(key);
        if (needsRehash)
        {
            agent!.PasswordHash = PasswordHasher.Hash(request.Password);
            await db.SaveChangesAsync(ct);
            LogRehashed(loggers.CreateLogger(typeof(AuthEndpoints)), agent.Id, PasswordHasher.Iterations);
        }

        var principal = await sessions.StartAsync(agent!, http, ct);
        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, principal);
        return TypedResults.Ok(await ApiEndpoints.ToDtoAsync(agent!, redis));
    }

    private static async Task<NoContent> LogoutAsync(HttpContext http, AgentSessions sessions, CancellationToken ct)
    {
        if (http.User.Identity?.IsAuthenticated == true && AgentSessions.SessionId(http.User) is { } sessionId)
        {
            await sessions.EndAsync(sessionId, ct);
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.NoContent();
    }

    private static async Task<IResult> ChangePasswordAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IOptionsMonitor<AuthOptions> options, SignInThrottle throttle, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ChangePasswordRequest>(http, ct);
        if (request is null || string.IsNullOrEmpty(request.CurrentPassword) || request.NewPassword is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? "currentPassword and newPassword are required"));
        }

        var id = ApiEndpoints.AgentId(http);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var agent = await db.Agents.FirstOrDefaultAsync(a => a.Id == id && a.Enabled, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var problem = AgentRules.CheckPassword(request.NewPassword, agent.UserName, options.CurrentValue.MinPasswordLength);
        if (problem is not null)
        {
            return TypedResults.BadRequest(new ErrorDto(problem));
        }

        // A stolen session must not turn into a stolen account: the current password is required, and guesses count towards the lockout.
        var key = SignInThrottle.Normalize(agent.UserName);
        if (await throttle.CheckAsync(key) is { } retry)
        {
            return TooMany(http, retry, "too many wrong passwords for this user name; try again later");
        }

        if (!PasswordHasher.Verify(request.CurrentPassword, agent.PasswordHash))
        {
            await throttle.FailedAsync(key);
            return TypedResults.BadRequest(new ErrorDto("currentPassword is wrong"));
        }

        var now = time.GetUtcNow();
        agent.PasswordHash = PasswordHasher.Hash(request.NewPassword);
        agent.PasswordChangedAt = now;
        await db.SaveChangesAsync(ct);
        var ended = await AgentSessions.EndAllAsync(db, agent.Id, AgentSessions.SessionId(http.User), now, ct);
        return TypedResults.Ok(new { endedSessions = ended });
    }

    internal static IResult TooMany(HttpContext http, TimeSpan retry, string reason)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Json(new ErrorDto(reason), statusCode: StatusCodes.Status429TooManyRequests);
    }

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Agent {AgentId}'s password hash was upgraded to {Iterations} iterations")]
    private static partial void LogRehashed(ILogger logger, Guid agentId, int iterations);
}

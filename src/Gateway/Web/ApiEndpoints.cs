using System.Security.Claims;
using System.Text.Json;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Web;

public sealed record LoginRequest(string? UserName, string? Password);

public sealed record PresenceRequest(string? Presence);

public sealed record TransferRequest(string? ToAgent, string? ToSkill, string? Note);

public sealed record ExclusiveAgentRequest(string? Agent);

public sealed record AgentDto(Guid Id, string UserName, string DisplayName, IReadOnlyList<string> Skills, int MaxConcurrent, string Presence, long Load, string Role = AgentRoles.Agent);

public sealed record ErrorDto(string Error);

public sealed record PluginDto(string Id, string Plugin, string? ChannelType, bool Enabled, string State, IReadOnlyList<string> Capabilities, string? Error);

/// <summary>The agent desk's REST API. Every endpoint but sign-in requires a signed-in agent.</summary>
internal static class ApiEndpoints
{
    public static void MapGatewayApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Agent desk");
        api.MapAuthApi();

        var agent = api.MapGroup("").RequireAuthorization();
        agent.MapGet("/agents/me", MeAsync);
        agent.MapPut("/agents/me/presence", SetPresenceAsync);
        agent.MapGet("/conversations", async (HttpContext http, ConversationQueries queries, CancellationToken ct) =>
            TypedResults.Ok(await queries.ListAssignedAsync(AgentId(http), ct)));
        agent.MapGet("/conversations/{id:guid}", GetConversationAsync);
        agent.MapPost("/conversations/{id:guid}/messages", ReplyAsync);
        agent.MapAttachmentApi();
        agent.MapActivityApi();
        agent.MapPost("/conversations/{id:guid}/close", CloseAsync);
        agent.MapPost("/conversations/{id:guid}/transfer", TransferAsync);
        agent.MapLifecycleApi();
        Search.SearchEndpoints.MapSearchApi(agent);
        agent.MapConversationActions();
        FollowUps.ScheduledReplies.ScheduledReplyEndpoints.MapScheduledReplies(agent);
        agent.MapStartConversation();
        agent.MapPut("/contacts/{id:guid}/exclusive-agent", SetExclusiveAgentAsync).RequireAuthorization(AuthPolicies.Supervisor);
        agent.MapGet("/messages/failed", async (HttpContext http, ConversationQueries queries, CancellationToken ct) =>
            TypedResults.Ok(await queries.ListFailedAsync(AgentId(http), ct)));
        agent.MapPost("/messages/{id:guid}/retry", MessageEndpoints.RetryAsync);
        agent.MapPost("/messages/{id:guid}/resend", MessageEndpoints.ResendAsync);
        agent.MapGet("/plugins", (ChannelRegistry channels) => TypedResults.Ok(channels.Channels.Select(c => new PluginDto(
            c.Entry.Id,
            c.Entry.Plugin,
            c.Plugin?.ChannelType,
            c.Entry.Enabled,
            c.State,
            c.Plugin is null ? [] : c.Plugin.Capabilities.ToString().Split(", "),
            c.Error)).ToList()));
    }

    internal static Guid AgentId(HttpContext http) => Guid.Parse(http.User.FindFirstValue(ClaimTypes.NameIdentifier)!);

    private static async Task<Results<Ok<AgentDto>, UnauthorizedHttpResult>> MeAsync(HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, RedisConnection redis, CancellationToken ct)
    {
        var agent = await FindAgentAsync(http, dbFactory, ct);
        return agent is null ? TypedResults.Unauthorized() : TypedResults.Ok(await ToDtoAsync(agent, redis));
    }

    private static async Task<Results<Ok<AgentDto>, UnauthorizedHttpResult, BadRequest<ErrorDto>>> SetPresenceAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationRouter router, RedisConnection redis, CancellationToken ct)
    {
        var (request, bodyError) = await ReadJsonAsync<PresenceRequest>(http, ct);
        if (request?.Presence is null || !AgentPresence.All.Contains(request.Presence))
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? "presence must be 'online', 'busy', 'away' or 'offline'"));
        }

        var agent = await FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        await router.SetPresenceAsync(agent, request.Presence);
        return TypedResults.Ok(await ToDtoAsync(agent, redis));
    }

    private static async Task<Results<Ok<ConversationDto>, NotFound<ErrorDto>>> GetConversationAsync(Guid id, HttpContext http, ConversationQueries queries, CancellationToken ct)
    {
        var conversation = await queries.GetAsync(id, ct);
        // Supervisors read any conversation, agents their own and closed ones (found in search or the Closed list, to reopen);
        // read-only: replies and closing stay with its agent.
        return conversation is null
            || (conversation.AssignedAgentId != AgentId(http) && conversation.Status != "closed" && !http.User.IsInRole(AgentRoles.Supervisor))
            ? TypedResults.NotFound(new ErrorDto("no such conversation among yours"))
            : TypedResults.Ok(conversation);
    }

    private static async Task<Results<Accepted<MessageDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnprocessableEntity<ReplyGuard.ForbiddenReplyDto>, UnauthorizedHttpResult>> ReplyAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, ReplyGuard.ForbiddenPhrases phrases, TimeProvider time,
        CancellationToken ct)
    {
        var (request, bodyError) = await ReadJsonAsync<ReplyRequest>(http, ct);
        var hasFiles = request?.Attachments is { Count: > 0 };
        if (request is null || (!hasFiles && (request.Text is null || VisibleText.IsBlank(request.Text))))
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? "text is required (nothing visible after removing spaces, control and invisible characters), unless the reply carries attachments"));
        }

        request = request with { Text = request.Text ?? "" };

        if (request.Text.Length > ConversationService.MaxReplyLength)
        {
            return TypedResults.BadRequest(new ErrorDto($"text is {request.Text.Length} characters; the limit is {ConversationService.MaxReplyLength}"));
        }

        // The desk shows the agent the phrases first; a script cannot skip the count either.
        var forbidden = phrases.Find(request.Text);
        if (forbidden.Count > 0 && !request.ConfirmForbidden)
        {
            return TypedResults.UnprocessableEntity(new ReplyGuard.ForbiddenReplyDto(
                "the reply carries forbidden phrases: change it, or send it again with confirmForbidden: true to send it anyway", forbidden));
        }

        var agent = await FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (message, error, reason) = await conversations.ReplyAsync(id, agent, request.Text, request.Via, ct, request.Attachments);
        if (error == ConversationActionError.None && forbidden.Count > 0)
        {
            await ReplyGuard.ReplyGuardEndpoints.RecordAsync(dbFactory, agent.Id, id, message!.Id, forbidden, time.GetUtcNow());
        }

        return error switch
        {
            ConversationActionError.None => TypedResults.Accepted($"/api/conversations/{id}", message!),
            ConversationActionError.NotFound => TypedResults.NotFound(new ErrorDto(reason!)),
            ConversationActionError.BadRequest => TypedResults.BadRequest(new ErrorDto(reason!)),
            _ => TypedResults.Conflict(new ErrorDto(reason!)),
        };
    }

    private static async Task<Results<Ok<ConversationDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> CloseAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, ConversationQueries queries,
        Microsoft.Extensions.Options.IOptionsMonitor<ConversationActionsOptions> options, CancellationToken ct)
    {
        // The body is optional: a close without one (or without a reason) closes with none.
        string? reason = null;
        if (http.Request.ContentLength is not 0 && (http.Request.HasJsonContentType() || http.Request.ContentLength > 0))
        {
            var (request, bodyError) = await ReadJsonAsync<CloseRequest>(http, ct);
            if (request is null)
            {
                return TypedResults.BadRequest(new ErrorDto(bodyError!));
            }

            reason = string.IsNullOrWhiteSpace(request.Reason) ? null : request.Reason.Trim();
            var allowed = options.CurrentValue.CloseReasons;
            if (reason is not null && !allowed.ContainsKey(reason))
            {
                return TypedResults.BadRequest(new ErrorDto($"there is no close reason '{reason}'; reasons are {string.Join(", ", allowed.Keys)} (or none)"));
            }
        }

        var agent = await FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var error = await conversations.CloseAsync(id, agent, ct, reason);
        return error switch
        {
            ConversationActionError.NotFound => TypedResults.NotFound(new ErrorDto("no such conversation among yours")),
            ConversationActionError.NotOpen => TypedResults.Conflict(new ErrorDto("the conversation is already closed")),
            _ => TypedResults.Ok((await queries.GetAsync(id, ct))! with { Messages = null }),
        };
    }

    private static async Task<Results<Ok<ConversationDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> TransferAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, ConversationQueries queries, CancellationToken ct)
    {
        var (request, bodyError) = await ReadJsonAsync<TransferRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var agent = await FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (error, reason) = await conversations.TransferAsync(id, agent, request.ToAgent, request.ToSkill, request.Note, ct);
        return error switch
        {
            ConversationActionError.None => TypedResults.Ok((await queries.GetAsync(id, ct))! with { Messages = null }),
            ConversationActionError.NotFound => TypedResults.NotFound(new ErrorDto(reason!)),
            ConversationActionError.BadRequest => TypedResults.BadRequest(new ErrorDto(reason!)),
            _ => TypedResults.Conflict(new ErrorDto(reason!)),
        };
    }

    private static async Task<Results<NoContent, BadRequest<ErrorDto>, NotFound<ErrorDto>>> SetExclusiveAgentAsync(
        Guid id, HttpContext http, ConversationService conversations, CancellationToken ct)
    {
        var (request, bodyError) = await ReadJsonAsync<ExclusiveAgentRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var (error, reason) = await conversations.SetExclusiveAgentAsync(id, request.Agent, ct);
        return error switch
        {
            ConversationActionError.None => TypedResults.NoContent(),
            ConversationActionError.NotFound => TypedResults.NotFound(new ErrorDto(reason!)),
            _ => TypedResults.BadRequest(new ErrorDto(reason!)),
        };
    }

    internal static async Task<Agent?> FindAgentAsync(HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        var id = AgentId(http);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.Id == id && a.Enabled, ct);
    }

    internal static async Task<AgentDto> ToDtoAsync(Agent agent, RedisConnection redis)
    {
        var db = await redis.GetDatabaseAsync();
        var presence = await db.HashGetAsync(redis.KeyPrefix + "a:" + agent.Id.ToString("N"), "presence");
        var load = await db.SetLengthAsync(redis.KeyPrefix + "a:" + agent.Id.ToString("N") + ":c");
        return new AgentDto(agent.Id, agent.UserName, agent.DisplayName, agent.SkillList, agent.MaxConcurrent, presence.IsNull ? "offline" : presence.ToString(), load, agent.Role);
    }

    /// <summary>Reads a JSON body, or says what is wrong with it.</summary>
    internal static async Task<(T? Value, string? Error)> ReadJsonAsync<T>(HttpContext http, CancellationToken ct) where T : class
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, "send a JSON body (Content-Type: application/json)");
        }

        try
        {
            var value = await http.Request.ReadFromJsonAsync<T>(ct);
            return value is null ? (null, "a JSON object is required") : (value, null);
        }
        catch (JsonException ex)
        {
            return (null, "malformed JSON: " + ex.Message);
        }
    }
}

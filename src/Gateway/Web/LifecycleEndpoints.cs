using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// Closed conversations and reopening them; taking a waiting customer from a queue. Every signed-in agent:
/// <c>GET /api/conversations/closed</c>, <c>POST /api/conversations/{id}/reopen</c>, <c>POST /api/conversations/{id}/take</c>,
/// <c>GET /api/queues/waiting</c>.
/// </summary>
internal static class LifecycleEndpoints
{
    public static void MapLifecycleApi(this RouteGroupBuilder agent)
    {
        agent.MapGet("/conversations/closed", ListClosedAsync);
        agent.MapPost("/conversations/{id:guid}/reopen", ReopenAsync);
        agent.MapPost("/conversations/{id:guid}/take", TakeAsync);
        agent.MapGet("/queues/waiting", ListWaitingAsync);
    }

    /// <summary>
    /// Closed conversations, newest closed first, <c>limit</c> (1-100, default 30) a page: <c>scope=mine</c> those the agent
    /// closed (an agent's default), <c>scope=all</c> everyone's (a supervisor's default); <c>before</c> is the previous page's <c>nextBefore</c>.
    /// </summary>
    private static async Task<Results<Ok<ClosedConversationsDto>, BadRequest<ErrorDto>>> ListClosedAsync(
        string? scope, string? before, int? limit, HttpContext http, ConversationLifecycle lifecycle, CancellationToken ct)
    {
        if (scope is not (null or "mine" or "all"))
        {
            return TypedResults.BadRequest(new ErrorDto("scope must be 'mine' or 'all'"));
        }

        if (limit is < 1 or > 100)
        {
            return TypedResults.BadRequest(new ErrorDto("limit must be from 1 to 100"));
        }

        (DateTimeOffset, Guid)? cursor = null;
        if (!string.IsNullOrEmpty(before))
        {
            if (!ConversationLifecycle.TryParseCursor(before, out var parsed))
            {
                return TypedResults.BadRequest(new ErrorDto("before must be the nextBefore of a previous page"));
            }

            cursor = parsed;
        }

        var everyone = scope == "all" || (scope is null && http.User.IsInRole(AgentRoles.Supervisor));
        return TypedResults.Ok(await lifecycle.ListClosedAsync(ApiEndpoints.AgentId(http), everyone, cursor, limit ?? ConversationLifecycle.ClosedPageSize, ct));
    }

    /// <summary>Opens a closed conversation again as the caller's (409 when it is not closed, or the customer has another one open).</summary>
    private static async Task<Results<Ok<ConversationDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> ReopenAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationLifecycle lifecycle, ConversationQueries queries, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (error, reason) = await lifecycle.ReopenAsync(id, agent, ct);
        return error switch
        {
            LifecycleError.None => TypedResults.Ok((await queries.GetAsync(id, ct))! with { Messages = null }),
            LifecycleError.NotFound => TypedResults.NotFound(new ErrorDto(reason!)),
            _ => TypedResults.Conflict(new ErrorDto(reason!)),
        };
    }

    /// <summary>Takes a waiting conversation from a queue the caller serves (403 when their skills do not; 409 when it no longer waits).</summary>
    private static async Task<Results<Ok<ConversationDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, JsonHttpResult<ErrorDto>, UnauthorizedHttpResult>> TakeAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationLifecycle lifecycle, ConversationQueries queries, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (error, reason) = await lifecycle.TakeAsync(id, agent, ct);
        return error switch
        {
            LifecycleError.None => TypedResults.Ok((await queries.GetAsync(id, ct))! with { Messages = null }),
            LifecycleError.NotFound => TypedResults.NotFound(new ErrorDto(reason!)),
            LifecycleError.Forbidden => TypedResults.Json(new ErrorDto(reason!), statusCode: StatusCodes.Status403Forbidden),
            _ => TypedResults.Conflict(new ErrorDto(reason!)),
        };
    }

    /// <summary>Customers waiting in the caller's queues (a supervisor: every queue), longest waiting first, each with whether the caller can take it.</summary>
    private static async Task<Results<Ok<IReadOnlyList<WaitingConversationDto>>, UnauthorizedHttpResult>> ListWaitingAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationLifecycle lifecycle, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        return agent is null
            ? TypedResults.Unauthorized()
            : TypedResults.Ok(await lifecycle.ListWaitingAsync(agent, http.User.IsInRole(AgentRoles.Supervisor), ct));
    }
}

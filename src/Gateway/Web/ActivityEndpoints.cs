using ChatGateway.Gateway.Agents;
using Microsoft.AspNetCore.Http.HttpResults;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// Live activity between an agent and their customer: the desk says when its agent types in a conversation's composer
/// (the customer's chat shows "Agent is typing…"; nothing is stored) and when the agent has read the conversation
/// (its read mark: unread counts start after it, and the customer's chat shows "Read"). Only for the agent who has the
/// conversation: another agent's, a supervisor looking on, or a waiting or closed conversation is 403; an unknown one 404.
/// </summary>
internal static class ActivityEndpoints
{
    public static void MapActivityApi(this RouteGroupBuilder agent)
    {
        agent.MapPost("/conversations/{id:guid}/typing", TypingAsync);
        agent.MapPost("/conversations/{id:guid}/read", ReadAsync);
    }

    private static async Task<Results<NoContent, BadRequest<ErrorDto>, NotFound<ErrorDto>, JsonHttpResult<ErrorDto>>> TypingAsync(
        Guid id, HttpContext http, ConversationActivityService activity, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<TypingRequest>(http, ct);
        if (request?.Typing is not { } typing)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? "typing is required: true while the agent types, false when they stopped"));
        }

        return await activity.AgentTypingAsync(ApiEndpoints.AgentId(http), id, typing, ct) switch
        {
            ActivityOutcome.Done => TypedResults.NoContent(),
            ActivityOutcome.NotFound => TypedResults.NotFound(new ErrorDto("no such conversation")),
            _ => NotYours(),
        };
    }

    private static async Task<Results<Ok<ReadMarkDto>, NotFound<ErrorDto>, JsonHttpResult<ErrorDto>>> ReadAsync(
        Guid id, HttpContext http, ConversationActivityService activity, CancellationToken ct)
    {
        var (outcome, readAt) = await activity.AgentReadAsync(ApiEndpoints.AgentId(http), id, ct);
        return outcome switch
        {
            ActivityOutcome.Done => TypedResults.Ok(new ReadMarkDto(id, readAt)),
            ActivityOutcome.NotFound => TypedResults.NotFound(new ErrorDto("no such conversation")),
            _ => NotYours(),
        };
    }

    private static JsonHttpResult<ErrorDto> NotYours() =>
        TypedResults.Json(new ErrorDto("only the agent the conversation is assigned to can do this"), statusCode: StatusCodes.Status403Forbidden);
}

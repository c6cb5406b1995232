using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Web;

/// <summary>A failed reply sent again: on the same channel (retry) or on another of the customer's channels (resend).</summary>
internal static class MessageEndpoints
{
    public static async Task<Results<Accepted<MessageDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> RetryAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (message, error, reason) = await conversations.RetryAsync(id, agent, ct);
        return ToResult(message, error, reason);
    }

    public static async Task<Results<Accepted<MessageDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> ResendAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<ResendRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (message, error, reason) = await conversations.ResendAsync(id, agent, request.Via, ct);
        return ToResult(message, error, reason);
    }

    private static Results<Accepted<MessageDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult> ToResult(
        MessageDto? message, ConversationActionError error, string? reason) => error switch
        {
            ConversationActionError.None => TypedResults.Accepted($"/api/conversations/{message!.ConversationId}", message),
            ConversationActionError.NotFound => TypedResults.NotFound(new ErrorDto(reason!)),
            ConversationActionError.BadRequest => TypedResults.BadRequest(new ErrorDto(reason!)),
            _ => TypedResults.Conflict(new ErrorDto(reason!)),
        };
}

using System.Text.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Web;

/// <summary>Close reasons, internal notes any time, and snoozing (挂起) a conversation.</summary>
internal static class ConversationActionEndpoints
{
    public static void MapConversationActions(this RouteGroupBuilder agent)
    {
        agent.MapGet("/conversations/close-reasons", (IOptionsMonitor<ConversationActionsOptions> options) =>
            TypedResults.Ok(options.CurrentValue.CloseReasons.Select(r => new CloseReasonDto(r.Key, r.Value.Zh, r.Value.En)).ToList()));
        agent.MapPost("/conversations/{id:guid}/notes", AddNoteAsync);
        agent.MapPost("/conversations/{id:guid}/snooze", SnoozeAsync);
        agent.MapDelete("/conversations/{id:guid}/snooze", WakeAsync);
    }

    private static async Task<Results<Created<MessageDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, UnauthorizedHttpResult>> AddNoteAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<NoteRequest>(http, ct);
        if (request is null || request.Text is null || VisibleText.IsBlank(request.Text))
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? "text is required: the note (1-4000 characters)"));
        }

        if (request.Text.Length > ConversationService.MaxNoteLength)
        {
            return TypedResults.BadRequest(new ErrorDto($"text is {request.Text.Length} characters; a note is at most {ConversationService.MaxNoteLength}"));
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (note, error, reason) = await conversations.AddNoteAsync(id, agent, request.Text, ct);
        return error == ConversationActionError.None
            ? TypedResults.Created($"/api/conversations/{id}", note!)
            : TypedResults.NotFound(new ErrorDto(reason!));
    }

    private static async Task<Results<Ok<ConversationDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> SnoozeAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, ConversationQueries queries, CancellationToken ct)
    {
        var (body, bodyError) = await ReadObjectAsync(http, ct);
        const string Usage = "send { \"until\": \"" + ApiTime.Example + "\" }, or { \"until\": null } to snooze until the customer writes";
        if (body is not { ValueKind: JsonValueKind.Object } json || !json.TryGetProperty("until", out var raw))
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError ?? Usage));
        }

        DateTimeOffset? until = null;
        if (raw.ValueKind != JsonValueKind.Null)
        {
            if (ApiTime.Read(json, "until", out var at) is { } invalid)
            {
                return TypedResults.BadRequest(new ErrorDto(invalid + ", or null to snooze until the customer writes"));
            }

            until = at;
        }

        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (error, reason) = await conversations.SnoozeAsync(id, agent, until, ct);
        return await ToResultAsync(id, error, reason, queries, ct);
    }

    private static async Task<Results<Ok<ConversationDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> WakeAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ConversationService conversations, ConversationQueries queries, CancellationToken ct)
    {
        var agent = await ApiEndpoints.FindAgentAsync(http, dbFactory, ct);
        if (agent is null)
        {
            return TypedResults.Unauthorized();
        }

        var (error, reason) = await conversations.WakeAsync(id, agent, ct);
        return await ToResultAsync(id, error, reason, queries, ct);
    }

    /// <summary>A JSON body as it is, or what is wrong with it.</summary>
    internal static async Task<(JsonElement? Body, string? Error)> ReadObjectAsync(HttpContext http, CancellationToken ct)
    {
        if (!http.Request.HasJsonContentType())
        {
            return (null, "send a JSON body (Content-Type: application/json)");
        }

        try
        {
            return (await http.Request.ReadFromJsonAsync<JsonElement>(ct), null);
        }
        catch (JsonException ex)
        {
            return (null, "malformed JSON: " + ex.Message);
        }
    }

    private static async Task<Results<Ok<ConversationDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>, Conflict<ErrorDto>, UnauthorizedHttpResult>> ToResultAsync(
        Guid id, ConversationActionError error, string? reason, ConversationQueries queries, CancellationToken ct) => error switch
        {
            ConversationActionError.None => TypedResults.Ok((await queries.GetAsync(id, ct))! with { Messages = null }),
            ConversationActionError.NotFound => TypedResults.NotFound(new ErrorDto(reason!)),
            ConversationActionError.BadRequest => TypedResults.BadRequest(new ErrorDto(reason!)),
            _ => TypedResults.Conflict(new ErrorDto(reason!)),
        };
}

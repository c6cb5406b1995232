using System.Text.Json;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Orders;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.FollowUps.Callbacks;

/// <summary>What the desk is told live about a promise: reminded (promiseDue) or passed unkept (promiseUnkept). Times in the shop's offset.</summary>
public sealed record PromiseAlertDto(Guid FollowUpId, Guid ConversationId, DateTimeOffset DueAt, string? Note, Guid? AgentId, string? AgentName);

/// <summary>A promise as a supervisor sees it: state <c>planned</c>, <c>kept</c>, <c>unkept</c> or <c>cancelled</c>.</summary>
public sealed record PromiseDto(
    Guid Id, Guid? ConversationId, Guid? AgentId, string? AgentName, string? CustomerName, DateTimeOffset DueAt, string? Note, string State, string? Reason, DateTimeOffset CreatedAt);

/// <summary>
/// Promised callbacks: the agent who has a conversation promises the customer an answer by a time; the gateway reminds
/// whoever has the conversation shortly before, and alerts the supervisors when the time passes without an agent's answer.
/// </summary>
internal static class CallbackEndpoints
{
    public const int MaxNoteLength = 500;
    public static readonly TimeSpan MaxAhead = TimeSpan.FromDays(30);

    /// <summary>How long a promise that is done stays in the supervisor's list.</summary>
    private static readonly TimeSpan RecentFor = TimeSpan.FromDays(7);

    public static void MapCallbacksApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/conversations/{id:guid}/promises", PromiseAsync).RequireAuthorization().WithTags("Agent desk");
        app.MapGet("/api/supervisor/promises", ListAsync).RequireAuthorization(AuthPolicies.Supervisor).WithTags("Supervisor");
    }

    private static async Task<IResult> PromiseAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IFollowUpScheduler scheduler, IOptionsMonitor<CallbackOptions> options,
        ShopTime shop, TimeProvider time, CancellationToken ct)
    {
        if (!http.Request.HasJsonContentType())
        {
            return Error(StatusCodes.Status400BadRequest, "send JSON { \"dueAt\": \"2026-12-07T15:00:00+08:00\", \"note\": \"...\" }");
        }

        JsonElement body;
        try
        {
            body = await http.Request.ReadFromJsonAsync<JsonElement>(ct);
        }
        catch (JsonException)
        {
            return Error(StatusCodes.Status400BadRequest, "the body is not JSON: send { \"dueAt\": \"...\", \"note\": \"...\" }");
        }

        if (ApiTime.Read(body, "dueAt", out var dueAt) is { } invalid)
        {
            return Error(StatusCodes.Status400BadRequest, invalid);
        }

        var now = time.GetUtcNow();
        if (dueAt <= now)
        {
            return Error(StatusCodes.Status400BadRequest, "dueAt is in the past");
        }

        if (dueAt > now + MaxAhead)
        {
            return Error(StatusCodes.Status400BadRequest, "dueAt is more than 30 days ahead");
        }

        var note = body.TryGetProperty("note", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()!.Trim() : "";
        if (note.Length == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "note is required: what was promised");
        }

        if (note.Length > MaxNoteLength)
        {
            return Error(StatusCodes.Status400BadRequest, $"note is at most {MaxNoteLength} characters");
        }

        var agent = ApiEndpoints.AgentId(http);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conversation = await db.Conversations.AsNoTracking()
            .FirstOrDefaultAsync(c => c.Id == id && c.Status == ConversationStatus.Assigned && c.AssignedAgentId == agent, ct);
        if (conversation is null)
        {
            return Error(StatusCodes.Status404NotFound, "no such conversation among yours");
        }

        var remindAt = dueAt - options.CurrentValue.RemindBefore;
        FollowUp Step(int step, DateTimeOffset at) => new()
        {
            Id = Ids.NewVersion7(now),
            Kind = FollowUpKinds.Callback,
            Rule = FollowUpKinds.Callback,
            Step = step,
            ContactId = conversation.ContactId,
            ConversationId = conversation.Id,
            AgentId = agent,
            DueAt = at.ToUniversalTime(),
            Status = FollowUpStatus.Planned,
            Note = note,
            CreatedAt = now,
        };
        var reminder = Step(1, remindAt < now ? now : remindAt);
        var promised = Step(2, dueAt);
        db.FollowUps.AddRange(reminder, promised);
        await db.SaveChangesAsync(CancellationToken.None);
        await scheduler.SyncAsync([reminder.Id, promised.Id], CancellationToken.None);
        var dto = (await OrderEndpoints.FollowUpDtosAsync(db, [promised], shop, CancellationToken.None))[0];
        return Results.Json(dto, statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(IDbContextFactory<GatewayDbContext> dbFactory, ShopTime shop, TimeProvider time, CancellationToken ct)
    {
        var since = time.GetUtcNow() - RecentFor;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.FollowUps.AsNoTracking()
            .Where(f => f.Kind == FollowUpKinds.Callback && f.Step == 2)
            .Where(f => f.Status == FollowUpStatus.Planned || f.DoneAt >= since)
            .Select(f => new
            {
                Row = f,
                Agent = db.Agents.Where(a => a.Id == f.AgentId).Select(a => a.DisplayName).FirstOrDefault(),
                Customer = db.Contacts.Where(c => c.Id == f.ContactId).Select(c => c.DisplayName).FirstOrDefault(),
            })
            .ToListAsync(ct);
        return Results.Ok(rows
            .OrderBy(r => r.Row.Status == FollowUpStatus.Planned ? 0 : 1)
            .ThenBy(r => r.Row.Status == FollowUpStatus.Planned ? r.Row.DueAt.UtcTicks : -r.Row.DueAt.UtcTicks)
            .Take(200)
            .Select(r => new PromiseDto(
                r.Row.Id, r.Row.ConversationId, r.Row.AgentId, r.Agent, r.Customer, shop.ToShop(r.Row.DueAt), r.Row.Note, FollowUpMapping.PromiseState(r.Row.Status), r.Row.Reason,
                shop.ToShop(r.Row.CreatedAt)))
            .ToList());
    }

    private static IResult Error(int status, string error) => Results.Json(new { error }, statusCode: status);
}

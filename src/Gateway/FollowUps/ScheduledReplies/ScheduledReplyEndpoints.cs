using System.Text.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.ReplyGuard;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.FollowUps.ScheduledReplies;

/// <summary>
/// A reply scheduled by an agent (send later): <paramref name="Status"/> <c>planned</c>, <c>sent</c>, <c>skipped</c> (with
/// <paramref name="Reason"/>) or <c>cancelled</c>; <paramref name="SendAt"/> in the shop's offset.
/// </summary>
public sealed record ScheduledReplyDto(
    Guid Id, Guid ConversationId, string Text, DateTimeOffset SendAt, string Status, string? Reason, Guid? AgentId, string? AgentName, DateTimeOffset CreatedAt);

/// <summary>Schedules a reply: <c>sendAt</c> a time with its offset, at least a minute ahead, within 30 days, outside the quiet hours.</summary>
internal static class ScheduledReplyEndpoints
{
    public static readonly TimeSpan MinLead = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxAhead = TimeSpan.FromDays(30);

    public static void MapScheduledReplies(this RouteGroupBuilder agent)
    {
        agent.MapPost("/conversations/{id:guid}/scheduled-replies", ScheduleAsync);
        agent.MapGet("/conversations/{id:guid}/scheduled-replies", ListAsync);
        agent.MapPut("/conversations/{id:guid}/scheduled-replies/{replyId:guid}", EditAsync);
        agent.MapDelete("/conversations/{id:guid}/scheduled-replies/{replyId:guid}", CancelAsync);
    }

    private static async Task<IResult> ScheduleAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IFollowUpScheduler scheduler, ForbiddenPhrases phrases,
        FollowUpSettings settings, ShopTime shop, TimeProvider time, CancellationToken ct)
    {
        var (body, bodyError) = await ConversationActionEndpoints.ReadObjectAsync(http, ct);
        if (body is not { ValueKind: JsonValueKind.Object } json)
        {
            return Error(StatusCodes.Status400BadRequest, bodyError ?? "send { \"text\": \"...\", \"sendAt\": \"" + ApiTime.Example + "\" }");
        }

        var now = time.GetUtcNow();
        var (text, textError) = Text(json);
        if (textError is not null)
        {
            return Error(StatusCodes.Status400BadRequest, textError);
        }

        if (SendAtError(json, now, settings, shop, out var sendAt) is { } timeError)
        {
            return Error(StatusCodes.Status400BadRequest, timeError);
        }

        var forbidden = phrases.Find(text!);
        if (forbidden.Count > 0 && !(json.TryGetProperty("confirmForbidden", out var confirm) && confirm.ValueKind == JsonValueKind.True))
        {
            return Results.Json(
                new ForbiddenReplyDto("the reply carries forbidden phrases: change it, or send it again with confirmForbidden: true to schedule it anyway", forbidden),
                statusCode: StatusCodes.Status422UnprocessableEntity);
        }

        var agentId = ApiEndpoints.AgentId(http);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id && c.AssignedAgentId == agentId, ct);
        if (conversation is null)
        {
            return Error(StatusCodes.Status404NotFound, "no such conversation among yours");
        }

        if (conversation.Status != ConversationStatus.Assigned)
        {
            return Error(StatusCodes.Status409Conflict, "the conversation is closed");
        }

        var row = new FollowUp
        {
            Id = Ids.NewVersion7(now),
            Kind = FollowUpKinds.ScheduledReply,
            ContactId = conversation.ContactId,
            ConversationId = conversation.Id,
            AgentId = agentId,
            DueAt = sendAt.ToUniversalTime(),
            Status = FollowUpStatus.Planned,
            Note = text,
            CreatedAt = now,
        };
        db.FollowUps.Add(row);
        await db.SaveChangesAsync(CancellationToken.None);
        await scheduler.SyncAsync([row.Id], CancellationToken.None);
        if (forbidden.Count > 0)
        {
            // Counted for the supervisors like a reply sent anyway (the message will have the follow-up's id).
            await ReplyGuardEndpoints.RecordAsync(dbFactory, agentId, id, row.Id, forbidden, now);
        }

        return Results.Json((await DtosAsync(db, [row], shop, ct))[0], statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ListAsync(Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ShopTime shop, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (await FindConversationAsync(db, id, http, ct) is null)
        {
            return Error(StatusCodes.Status404NotFound, "no such conversation among yours");
        }

        var rows = await db.FollowUps.AsNoTracking()
            .Where(f => f.ConversationId == id && f.Kind == FollowUpKinds.ScheduledReply)
            .ToListAsync(ct);
        return Results.Ok(await DtosAsync(db, [.. rows.OrderBy(f => f.DueAt.UtcTicks)], shop, ct));
    }

    private static async Task<IResult> EditAsync(
        Guid id, Guid replyId, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IFollowUpScheduler scheduler, ForbiddenPhrases phrases,
        FollowUpSettings settings, ShopTime shop, TimeProvider time, CancellationToken ct)
    {
        var (body, bodyError) = await ConversationActionEndpoints.ReadObjectAsync(http, ct);
        if (body is not { ValueKind: JsonValueKind.Object } json || (!json.TryGetProperty("text", out _) && !json.TryGetProperty("sendAt", out _)))
        {
            return Error(StatusCodes.Status400BadRequest, bodyError ?? "send { \"text\": \"...\" } and/or { \"sendAt\": \"" + ApiTime.Example + "\" }");
        }

        var now = time.GetUtcNow();
        string? text = null;
        if (json.TryGetProperty("text", out _))
        {
            var (t, textError) = Text(json);
            if (textError is not null)
            {
                return Error(StatusCodes.Status400BadRequest, textError);
            }

            text = t;
            var forbidden = phrases.Find(text!);
            if (forbidden.Count > 0 && !(json.TryGetProperty("confirmForbidden", out var confirm) && confirm.ValueKind == JsonValueKind.True))
            {
                return Results.Json(
                    new ForbiddenReplyDto("the reply carries forbidden phrases: change it, or send it again with confirmForbidden: true to schedule it anyway", forbidden),
                    statusCode: StatusCodes.Status422UnprocessableEntity);
            }
        }

        DateTimeOffset? sendAt = null;
        if (json.TryGetProperty("sendAt", out _))
        {
            if (SendAtError(json, now, settings, shop, out var at) is { } timeError)
            {
                return Error(StatusCodes.Status400BadRequest, timeError);
            }

            sendAt = at.ToUniversalTime();
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, error) = await FindPlannedAsync(db, id, replyId, http, ct);
        if (row is null)
        {
            return error!;
        }

        var changed = await db.FollowUps.Where(f => f.Id == replyId && f.Status == FollowUpStatus.Planned)
            .ExecuteUpdateAsync(s => s
                .SetProperty(f => f.Note, f => text ?? f.Note)
                .SetProperty(f => f.DueAt, f => sendAt ?? f.DueAt)
                .SetProperty(f => f.UpdatedAt, now)
                .SetProperty(f => f.ChangedByAgentId, ApiEndpoints.AgentId(http)), CancellationToken.None);
        if (changed == 0)
        {
            return Error(StatusCodes.Status409Conflict, "the reply is no longer planned: it was sent or cancelled");
        }

        await scheduler.SyncAsync([replyId], CancellationToken.None);
        var fresh = await db.FollowUps.AsNoTracking().FirstAsync(f => f.Id == replyId, CancellationToken.None);
        return Results.Ok((await DtosAsync(db, [fresh], shop, CancellationToken.None))[0]);
    }

    private static async Task<IResult> CancelAsync(
        Guid id, Guid replyId, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IFollowUpScheduler scheduler, ShopTime shop, TimeProvider time, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var (row, error) = await FindPlannedAsync(db, id, replyId, http, ct);
        if (row is null)
        {
            return error!;
        }

        var now = time.GetUtcNow();
        var changed = await db.FollowUps.Where(f => f.Id == replyId && f.Status == FollowUpStatus.Planned)
            .ExecuteUpdateAsync(s => s
                .SetProperty(f => f.Status, FollowUpStatus.Cancelled)
                .SetProperty(f => f.Reason, "cancelled by the agent")
                .SetProperty(f => f.DoneAt, now)
                .SetProperty(f => f.UpdatedAt, now)
                .SetProperty(f => f.ChangedByAgentId, ApiEndpoints.AgentId(http)), CancellationToken.None);
        if (changed == 0)
        {
            return Error(StatusCodes.Status409Conflict, "the reply is no longer planned: it was sent or cancelled");
        }

        await scheduler.SyncAsync([replyId], CancellationToken.None);
        var fresh = await db.FollowUps.AsNoTracking().FirstAsync(f => f.Id == replyId, CancellationToken.None);
        return Results.Ok((await DtosAsync(db, [fresh], shop, CancellationToken.None))[0]);
    }

    /// <summary>The scheduled reply of the agent's conversation, still planned; otherwise the answer to give (404, 409).</summary>
    private static async Task<(FollowUp? Row, IResult? Error)> FindPlannedAsync(GatewayDbContext db, Guid id, Guid replyId, HttpContext http, CancellationToken ct)
    {
        var conversation = await FindConversationAsync(db, id, http, ct);
        var row = conversation is null ? null : await db.FollowUps.AsNoTracking()
            .FirstOrDefaultAsync(f => f.Id == replyId && f.ConversationId == id && f.Kind == FollowUpKinds.ScheduledReply, ct);
        if (row is null)
        {
            return (null, Error(StatusCodes.Status404NotFound, "no such scheduled reply in your conversations"));
        }

        if (row.Status != FollowUpStatus.Planned)
        {
            return (null, Error(StatusCodes.Status409Conflict, $"the reply is {Orders.FollowUpMapping.StatusName(row.Status)} already; only a planned one can be changed"));
        }

        return (row, null);
    }

    private static Task<Conversation?> FindConversationAsync(GatewayDbContext db, Guid id, HttpContext http, CancellationToken ct)
    {
        var agentId = ApiEndpoints.AgentId(http);
        var supervisor = http.User.IsInRole(AgentRoles.Supervisor);
        return db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id && (c.AssignedAgentId == agentId || supervisor), ct);
    }

    private static (string? Text, string? Error) Text(JsonElement json)
    {
        var text = json.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
        if (text is null || VisibleText.IsBlank(text))
        {
            return (null, "text is required: the reply to send");
        }

        return text.Length > ConversationService.MaxReplyLength
            ? (null, $"text is {text.Length} characters; the limit is {ConversationService.MaxReplyLength}")
            : (text, null);
    }

    /// <summary>Why <c>sendAt</c> cannot be used (unreadable, too soon, too far, in the quiet hours), or null.</summary>
    private static string? SendAtError(JsonElement json, DateTimeOffset now, FollowUpSettings settings, ShopTime shop, out DateTimeOffset sendAt)
    {
        if (ApiTime.Read(json, "sendAt", out sendAt) is { } invalid)
        {
            return invalid;
        }

        if (sendAt < now + MinLead)
        {
            return "sendAt must be at least a minute ahead (to send now, reply)";
        }

        if (sendAt > now + MaxAhead)
        {
            return "sendAt is more than 30 days ahead";
        }

        if (shop.IsQuiet(sendAt))
        {
            return $"sendAt {shop.Describe(sendAt)} (shop time) falls in the customers' quiet hours {settings.Current.QuietHours}; "
                + $"the next allowed time is {shop.Describe(shop.OutOfQuietHours(sendAt))}";
        }

        return null;
    }

    private static async Task<List<ScheduledReplyDto>> DtosAsync(GatewayDbContext db, IReadOnlyList<FollowUp> rows, ShopTime shop, CancellationToken ct)
    {
        var agentIds = rows.Select(r => r.AgentId).OfType<Guid>().Distinct().ToList();
        var names = await db.Agents.AsNoTracking().Where(a => agentIds.Contains(a.Id)).ToDictionaryAsync(a => a.Id, a => a.DisplayName, ct);
        return rows.Select(r => new ScheduledReplyDto(
            r.Id, r.ConversationId!.Value, r.Note ?? "", shop.ToShop(r.DueAt), Orders.FollowUpMapping.StatusName(r.Status), r.Reason, r.AgentId,
            r.AgentId is { } a ? names.GetValueOrDefault(a) : null, shop.ToShop(r.CreatedAt))).ToList();
    }

    private static IResult Error(int status, string error) => Results.Json(new ErrorDto(error), statusCode: status);
}

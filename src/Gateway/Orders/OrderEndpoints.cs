using System.Security.Claims;
using System.Text.Json;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.FollowUps;
using ChatGateway.Gateway.FollowUps.Callbacks;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Orders;

public sealed record OrderItemDto(string Title, int Quantity, decimal Price);

public sealed record OrderBuyerDto(string? Name, string? Phone, string? Email);

public sealed record FollowUpDto(
    Guid Id, string Kind, DateTimeOffset DueAt, string? Channel, string Status, string? Reason, string? OrderId, Guid? ConversationId, string? Note, int Step);

public sealed record OrderDto(
    Guid Id, string OrderId, string Source, string State, Guid ContactId, decimal? Amount, string? Currency, decimal? RefundedAmount, IReadOnlyList<OrderItemDto> Items,
    OrderBuyerDto Buyer, string? Carrier, string? TrackingNumber, DateTimeOffset? PlacedAt, DateTimeOffset? PaidAt, DateTimeOffset? ShippedAt,
    DateTimeOffset? DeliveredAt, DateTimeOffset? RefundRequestedAt, DateTimeOffset? RefundedAt, DateTimeOffset? CancelledAt, IReadOnlyList<FollowUpDto> FollowUps);

public sealed record FollowUpListDto(IReadOnlyList<FollowUpDto> Upcoming, IReadOnlyList<FollowUpDto> Past);

public sealed record CancelFollowUpRequest(string? Reason);

public sealed record MoveFollowUpRequest(DateTimeOffset? DueAt);

/// <summary>
/// Orders and follow-ups for the desk: an agent sees those of customers they serve or served, a supervisor all; anyone
/// else's answer 404 so ids cannot be probed. Times are in the shop's offset.
/// </summary>
internal static class OrderEndpoints
{
    public static void MapOrdersApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Orders and follow-ups").RequireAuthorization();
        api.MapGet("/orders/{orderId}", GetOrderAsync);
        api.MapGet("/contacts/{contactId:guid}/orders", ListOrdersAsync);
        api.MapGet("/contacts/{contactId:guid}/follow-ups", ListFollowUpsAsync);
        api.MapPost("/follow-ups/{id:guid}/cancel", CancelAsync);
        api.MapPost("/follow-ups/{id:guid}/move", MoveAsync);
    }

    private static async Task<IResult> GetOrderAsync(
        string orderId, HttpContext http, OrderService orders, IDbContextFactory<GatewayDbContext> dbFactory, ShopTime shop, CancellationToken ct)
    {
        if (orderId.Length > 100)
        {
            return Error(StatusCodes.Status400BadRequest, "orderId is at most 100 characters");
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var order = await orders.FindAsync(db, orderId, ct);
        // The buyer's contact may have been merged into another since: whoever serves the kept contact sees the order.
        if (order is null || !await MayServeAsync(db, http, await MergedContacts.KeptAsync(db, order.ContactId, ct), ct))
        {
            return Error(StatusCodes.Status404NotFound, "no such order");
        }

        return Results.Ok((await ToDtosAsync(db, [order], shop, ct))[0]);
    }

    private static async Task<IResult> ListOrdersAsync(Guid contactId, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ShopTime shop, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await MayServeAsync(db, http, contactId, ct))
        {
            return Error(StatusCodes.Status404NotFound, "no such contact");
        }

        var contacts = await MergedContacts.WithMergedAsync(db, contactId, ct);
        var list = await db.Orders.AsNoTracking().Where(o => contacts.Contains(o.ContactId)).ToListAsync(ct);
        return Results.Ok(await ToDtosAsync(db, [.. list.OrderByDescending(o => o.PlacedAt ?? o.CreatedAt)], shop, ct));
    }

    private static async Task<IResult> ListFollowUpsAsync(Guid contactId, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, ShopTime shop, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await MayServeAsync(db, http, contactId, ct))
        {
            return Error(StatusCodes.Status404NotFound, "no such contact");
        }

        var contacts = await MergedContacts.WithMergedAsync(db, contactId, ct);
        // A scheduled reply and a snooze's wake-up are the conversation's, shown and changed there, not among the follow-ups.
        var rows = await db.FollowUps.AsNoTracking()
            .Where(f => contacts.Contains(f.ContactId) && f.Kind != FollowUpKinds.ScheduledReply && f.Kind != FollowUpKinds.SnoozeWake)
            .ToListAsync(ct);
        var dtos = await FollowUpDtosAsync(db, rows, shop, ct);
        return Results.Ok(new FollowUpListDto(
            [.. dtos.Where(f => f.Status == "planned").OrderBy(f => f.DueAt)],
            [.. dtos.Where(f => f.Status != "planned").OrderByDescending(f => f.DueAt).Take(200)]));
    }

    private static async Task<IResult> CancelAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IFollowUpScheduler scheduler, ShopTime shop, TimeProvider time, CancellationToken ct)
    {
        CancelFollowUpRequest? request = null;
        if (http.Request.ContentLength > 0 || http.Request.HasJsonContentType())
        {
            if (!http.Request.HasJsonContentType() || await ReadAsync<CancelFollowUpRequest>(http, ct) is not { } body)
            {
                return Error(StatusCodes.Status400BadRequest, "send JSON { \"reason\": \"...\" } or no body");
            }

            request = body;
        }

        if (request?.Reason is { Length: > 300 })
        {
            return Error(StatusCodes.Status400BadRequest, "reason is at most 300 characters");
        }

        var reason = string.IsNullOrWhiteSpace(request?.Reason) ? "cancelled by an agent" : request!.Reason!.Trim();
        var now = time.GetUtcNow();
        return await ChangeAsync(id, http, dbFactory, scheduler, shop, ct, (f, agent) =>
        {
            f.Status = FollowUpStatus.Cancelled;
            f.Reason = reason;
            f.DoneAt = now;
            f.UpdatedAt = f.DoneAt;
            f.ChangedByAgentId = agent;
        }, (db, f, agent) => PromiseChanges.CancelAsync(db, f, reason, agent, now, CancellationToken.None));
    }

    private static async Task<IResult> MoveAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IFollowUpScheduler scheduler, ShopTime shop, TimeProvider time,
        IOptionsMonitor<CallbackOptions> callbacks, CancellationToken ct)
    {
        if (!http.Request.HasJsonContentType())
        {
            return Error(StatusCodes.Status400BadRequest, "send JSON { \"dueAt\": \"2026-12-07T15:00:00+08:00\" }");
        }

        var raw = await ReadAsync<JsonElement>(http, ct);
        if (ApiTime.Read(raw, "dueAt", out var dueAt) is { } invalid)
        {
            return Error(StatusCodes.Status400BadRequest, invalid);
        }

        var now = time.GetUtcNow();
        if (dueAt < now)
        {
            return Error(StatusCodes.Status400BadRequest, "dueAt is in the past");
        }

        if (dueAt > now.AddYears(1))
        {
            return Error(StatusCodes.Status400BadRequest, "dueAt is more than a year ahead");
        }

        return await ChangeAsync(id, http, dbFactory, scheduler, shop, ct, (f, agent) =>
        {
            f.DueAt = dueAt.ToUniversalTime();
            f.UpdatedAt = now;
            f.ChangedByAgentId = agent;
            f.Reason = "moved by an agent";
        }, (db, f, agent) => PromiseChanges.MoveAsync(db, f, dueAt, callbacks.CurrentValue.RemindBefore, agent, now, CancellationToken.None));
    }

    private static async Task<IResult> ChangeAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IFollowUpScheduler scheduler, ShopTime shop, CancellationToken ct,
        Action<FollowUp, Guid> change, Func<GatewayDbContext, FollowUp, Guid, Task<PromiseChange>> changePromise)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var followUp = await db.FollowUps.AsNoTracking().FirstOrDefaultAsync(f => f.Id == id, ct);
        if (followUp is null || !await MayServeAsync(db, http, await MergedContacts.KeptAsync(db, followUp.ContactId, ct), ct))
        {
            return Error(StatusCodes.Status404NotFound, "no such follow-up");
        }

        if (followUp.Kind is FollowUpKinds.ScheduledReply or FollowUpKinds.SnoozeWake)
        {
            // Their own endpoints check what a move must (the customer's quiet hours, the conversation's state).
            return Error(StatusCodes.Status409Conflict, followUp.Kind == FollowUpKinds.ScheduledReply
                ? "a scheduled reply is changed through /api/conversations/{id}/scheduled-replies"
                : "a snooze is changed through /api/conversations/{id}/snooze");
        }

        if (followUp.Kind == FollowUpKinds.Callback)
        {
            // A promise and its reminder move and are cancelled together.
            var pair = await changePromise(db, followUp, ApiEndpoints.AgentId(http));
            if (pair.Error is { } refused)
            {
                return Error(pair.Status, refused);
            }

            await scheduler.SyncAsync(pair.Changed, CancellationToken.None);
            return await ReadBackAsync(id, dbFactory, shop);
        }

        if (followUp.Status != FollowUpStatus.Planned)
        {
            return Error(StatusCodes.Status409Conflict, $"the follow-up is {FollowUpMapping.StatusName(followUp.Status)} already");
        }

        change(followUp, ApiEndpoints.AgentId(http));
        // Only a row still planned changes: the scheduler may be firing it this very moment.
        var rows = await db.FollowUps.Where(f => f.Id == id && f.Status == FollowUpStatus.Planned)
            .ExecuteUpdateAsync(s => s
                .SetProperty(f => f.Status, followUp.Status)
                .SetProperty(f => f.DueAt, followUp.DueAt)
                .SetProperty(f => f.Reason, followUp.Reason)
                .SetProperty(f => f.DoneAt, followUp.DoneAt)
                .SetProperty(f => f.UpdatedAt, followUp.UpdatedAt)
                .SetProperty(f => f.ChangedByAgentId, followUp.ChangedByAgentId), CancellationToken.None);
        if (rows == 0)
        {
            return Error(StatusCodes.Status409Conflict, "the follow-up went out or was changed meanwhile");
        }

        await scheduler.SyncAsync([id], CancellationToken.None);
        return await ReadBackAsync(id, dbFactory, shop);
    }

    private static async Task<IResult> ReadBackAsync(Guid id, IDbContextFactory<GatewayDbContext> dbFactory, ShopTime shop)
    {
        await using var read = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var saved = await read.FollowUps.AsNoTracking().FirstAsync(f => f.Id == id, CancellationToken.None);
        return Results.Ok((await FollowUpDtosAsync(read, [saved], shop, CancellationToken.None))[0]);
    }

    /// <summary>A supervisor serves everyone; an agent the customers whose conversation they have or had.</summary>
    internal static async Task<bool> MayServeAsync(GatewayDbContext db, HttpContext http, Guid contactId, CancellationToken ct)
    {
        if (http.User.IsInRole(AgentRoles.Supervisor))
        {
            return await db.Contacts.AnyAsync(c => c.Id == contactId, ct);
        }

        var agent = ApiEndpoints.AgentId(http);
        return await db.Conversations.AnyAsync(c => c.ContactId == contactId && (c.AssignedAgentId == agent || c.ClosedByAgentId == agent), ct);
    }

    internal static async Task<List<OrderDto>> ToDtosAsync(GatewayDbContext db, IReadOnlyList<Order> orders, ShopTime shop, CancellationToken ct)
    {
        var ids = orders.Select(o => o.Id).ToList();
        var followUps = await db.FollowUps.AsNoTracking().Where(f => f.OrderId != null && ids.Contains(f.OrderId.Value)).ToListAsync(ct);
        var dtos = await FollowUpDtosAsync(db, followUps, shop, ct);
        DateTimeOffset? Shop(DateTimeOffset? at) => at is { } v ? shop.ToShop(v) : null;
        return [.. orders.Select(o => new OrderDto(
            o.Id, o.ExternalOrderId, o.SourceInstanceId, Wire.StateName(o.State), o.ContactId, o.Amount, o.Currency, RefundedAmount(o),
            JsonSerializer.Deserialize<List<OrderItemDto>>(o.Items, JsonSerializerOptions.Web) ?? [],
            new OrderBuyerDto(o.BuyerName, o.BuyerPhone, o.BuyerEmail), o.Carrier, o.TrackingNumber,
            Shop(o.PlacedAt), Shop(o.PaidAt), Shop(o.ShippedAt), Shop(o.DeliveredAt), Shop(o.RefundRequestedAt), Shop(o.RefundedAt), Shop(o.CancelledAt),
            [.. dtos.Where(f => followUps.Any(r => r.Id == f.Id && r.OrderId == o.Id)).OrderBy(f => f.DueAt)]))];
    }

    /// <summary>What went back to the buyer so far: the refunds' amounts, or the whole total once the order is refunded.</summary>
    private static decimal? RefundedAmount(Order o) => o.State == OrderState.Refunded ? o.Amount ?? o.RefundedAmount : o.RefundedAmount;

    internal static async Task<List<FollowUpDto>> FollowUpDtosAsync(GatewayDbContext db, IReadOnlyList<FollowUp> rows, ShopTime shop, CancellationToken ct)
    {
        var orderIds = rows.Where(f => f.OrderId is not null).Select(f => f.OrderId!.Value).Distinct().ToList();
        var shopIds = orderIds.Count == 0
            ? []
            : await db.Orders.AsNoTracking().Where(o => orderIds.Contains(o.Id)).ToDictionaryAsync(o => o.Id, o => o.ExternalOrderId, ct);
        return [.. rows.Select(f => new FollowUpDto(
            f.Id, f.Kind, shop.ToShop(f.DueAt), f.Channel, FollowUpMapping.StatusName(f.Status), f.Reason,
            f.OrderId is { } o ? shopIds.GetValueOrDefault(o) : null, f.ConversationId, f.Note, f.Step))];
    }

    private static async Task<T?> ReadAsync<T>(HttpContext http, CancellationToken ct)
    {
        try
        {
            return await http.Request.ReadFromJsonAsync<T>(ct);
        }
        catch (JsonException)
        {
            return default;
        }
    }

    private static IResult Error(int status, string error) => Results.Json(new { error }, statusCode: status);
}

internal static class FollowUpMapping
{
    public static string StatusName(FollowUpStatus status) => status switch
    {
        FollowUpStatus.Planned => "planned",
        FollowUpStatus.Sent => "sent",
        FollowUpStatus.Skipped => "skipped",
        _ => "cancelled",
    };

    /// <summary>A promise's state as the supervisor sees it: its check (step 2) sent is kept, skipped is unkept.</summary>
    public static string PromiseState(FollowUpStatus status) => status switch
    {
        FollowUpStatus.Planned => "planned",
        FollowUpStatus.Sent => "kept",
        FollowUpStatus.Skipped => "unkept",
        _ => "cancelled",
    };
}

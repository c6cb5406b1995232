using System.Net;
using ChatGateway.Gateway.Agents;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Webhooks;

public sealed record WebhookRequest(string? Url, IReadOnlyList<string>? Events, string? Description, bool? Enabled);

public sealed record RotateSecretRequest(double? OverlapHours);

public sealed record WebhookDto(
    Guid Id, string Url, IReadOnlyList<string> Events, string? Description, bool Enabled, string? DisabledReason, DateTimeOffset? DisabledAt,
    DateTimeOffset? FailingSince, int Pending, int Failed, DateTimeOffset? PreviousSecretUntil, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>A subscription with its secret: returned once, when it is made or its secret rotated.</summary>
public sealed record WebhookSecretDto(WebhookDto Webhook, string Secret);

public sealed record WebhookDeliveryDto(
    Guid Id, string WebhookId, string Type, string Status, int Attempts, int? LastStatusCode, string? LastError, DateTimeOffset? LastAttemptAt,
    DateTimeOffset? NextAttemptAt, DateTimeOffset CreatedAt, DateTimeOffset? DeliveredAt, Guid OrderingKey);

public sealed record ReplayedDto(int Replayed);

/// <summary>
/// <c>/api/webhooks</c> (supervisors only): the shop's endpoints that receive events, their failed deliveries and replays.
/// Every refusal is a 400/404/409 with <c>{ error }</c> and changes nothing.
/// </summary>
internal static class WebhookEndpoints
{
    public const int MaxUrlLength = 2048;

    public static void MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/webhooks").RequireAuthorization(AuthPolicies.Supervisor).WithTags("Webhooks")
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapGet("", ListAsync).WithSummary("The webhook endpoints, their state and failed count");
        api.MapPost("", CreateAsync).WithSummary("Adds an endpoint; its signing secret is returned once")
            .WithDescription("Body: { url, events: [" + string.Join(", ", WebhookEventTypes.All) + "], description?, enabled? }. "
                + "400 for a URL that is not absolute http(s) (http only to loopback unless Webhooks:AllowHttp), longer than 2048, "
                + "an empty or unknown event.");
        api.MapGet("/{id:guid}", GetAsync).WithSummary("One endpoint");
        api.MapPut("/{id:guid}", UpdateAsync).WithSummary("Changes an endpoint's URL, events, description or enabled (omitted fields stay)");
        api.MapDelete("/{id:guid}", DeleteAsync).WithSummary("Deletes an endpoint and its deliveries");
        api.MapPost("/{id:guid}/rotate-secret", RotateAsync)
            .WithSummary("A new secret (returned once); the old one keeps signing alongside for overlapHours (default Webhooks:SecretOverlap)");
        api.MapPost("/{id:guid}/enable", EnableAsync).WithSummary("Enables an endpoint again (after the gateway or a supervisor disabled it)");
        api.MapPost("/{id:guid}/test", TestAsync).WithSummary("Sends a webhook.test event to the endpoint");
        api.MapGet("/{id:guid}/deliveries", DeliveriesAsync).WithSummary("The endpoint's newest deliveries; ?status=failed|pending|delivered");
        api.MapPost("/{id:guid}/deliveries/{deliveryId:guid}/replay", ReplayAsync).WithSummary("Sends a failed (or delivered) delivery again, same webhook-id");
        api.MapPost("/{id:guid}/replay-failed", ReplayFailedAsync).WithSummary("Sends every failed delivery of the endpoint again");
    }

    private static async Task<Ok<List<WebhookDto>>> ListAsync(IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscriptions = await db.WebhookSubscriptions.AsNoTracking().OrderBy(s => s.CreatedAt).ToListAsync(ct);
        var list = new List<WebhookDto>();
        foreach (var s in subscriptions)
        {
            list.Add(await ToDtoAsync(db, s, ct));
        }

        return TypedResults.Ok(list);
    }

    private static async Task<Results<Ok<WebhookDto>, NotFound<ErrorDto>>> GetAsync(Guid id, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var s = await db.WebhookSubscriptions.AsNoTracking().FirstOrDefaultAsync(x => x.Id == id, ct);
        return s is null ? NotFound() : TypedResults.Ok(await ToDtoAsync(db, s, ct));
    }

    private static async Task<Results<Created<WebhookSecretDto>, BadRequest<ErrorDto>>> CreateAsync(
        HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, WebhookOutbox outbox, IOptions<WebhooksOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<WebhookRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        var url = CheckUrl(request.Url, options.Value, out var urlError);
        var events = CheckEvents(request.Events, out var eventsError);
        var error = urlError ?? eventsError ?? CheckDescription(request.Description);
        if (error is not null)
        {
            return TypedResults.BadRequest(new ErrorDto(error));
        }

        var now = time.GetUtcNow();
        var subscription = new WebhookSubscription
        {
            Id = Ids.NewVersion7(now),
            Url = url!,
            Events = string.Join(' ', events!),
            Description = Trimmed(request.Description),
            Secret = WebhookSigner.NewSecret(),
            Enabled = request.Enabled ?? true,
            CreatedAt = now,
            UpdatedAt = now,
        };
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.WebhookSubscriptions.Add(subscription);
        await db.SaveChangesAsync(CancellationToken.None);
        await outbox.ChangedAsync(CancellationToken.None);
        return TypedResults.Created($"/api/webhooks/{subscription.Id}", new WebhookSecretDto(await ToDtoAsync(db, subscription, ct), subscription.Secret));
    }

    private static async Task<Results<Ok<WebhookDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>>> UpdateAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, WebhookOutbox outbox, IOptions<WebhooksOptions> options, TimeProvider time, CancellationToken ct)
    {
        var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<WebhookRequest>(http, ct);
        if (request is null)
        {
            return TypedResults.BadRequest(new ErrorDto(bodyError!));
        }

        string? url = null;
        string[]? events = null;
        string? error = null;
        if (request.Url is not null)
        {
            url = CheckUrl(request.Url, options.Value, out error);
        }

        if (error is null && request.Events is not null)
        {
            events = CheckEvents(request.Events, out error);
        }

        error ??= CheckDescription(request.Description);
        if (error is not null)
        {
            return TypedResults.BadRequest(new ErrorDto(error));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return NotFound();
        }

        subscription.Url = url ?? subscription.Url;
        subscription.Events = events is null ? subscription.Events : string.Join(' ', events);
        subscription.Description = request.Description is null ? subscription.Description : Trimmed(request.Description);
        if (request.Enabled is { } enabled && enabled != subscription.Enabled)
        {
            Enable(subscription, enabled, time.GetUtcNow());
        }

        subscription.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        await outbox.ChangedAsync(CancellationToken.None);
        outbox.Signal();
        return TypedResults.Ok(await ToDtoAsync(db, subscription, ct));
    }

    private static async Task<Results<NoContent, NotFound<ErrorDto>>> DeleteAsync(Guid id, IDbContextFactory<GatewayDbContext> dbFactory, WebhookOutbox outbox, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        await db.WebhookDeliveries.Where(d => d.SubscriptionId == id).ExecuteDeleteAsync(CancellationToken.None);
        var deleted = await db.WebhookSubscriptions.Where(s => s.Id == id).ExecuteDeleteAsync(CancellationToken.None);
        if (deleted == 0)
        {
            return NotFound();
        }

        await transaction.CommitAsync(CancellationToken.None);
        await outbox.ChangedAsync(CancellationToken.None);
        return TypedResults.NoContent();
    }

    private static async Task<Results<Ok<WebhookSecretDto>, BadRequest<ErrorDto>, NotFound<ErrorDto>>> RotateAsync(
        Guid id, HttpContext http, IDbContextFactory<GatewayDbContext> dbFactory, IOptions<WebhooksOptions> options, TimeProvider time, CancellationToken ct)
    {
        var overlap = options.Value.SecretOverlap;
        if (http.Request.ContentLength is > 0 || http.Request.HasJsonContentType())
        {
            var (request, bodyError) = await ApiEndpoints.ReadJsonAsync<RotateSecretRequest>(http, ct);
            if (request is null)
            {
                return TypedResults.BadRequest(new ErrorDto(bodyError!));
            }

            if (request.OverlapHours is { } hours)
            {
                if (double.IsNaN(hours) || hours < 0 || hours > 720)
                {
                    return TypedResults.BadRequest(new ErrorDto("overlapHours must be between 0 and 720 (30 days)"));
                }

                overlap = TimeSpan.FromHours(hours);
            }
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return NotFound();
        }

        var now = time.GetUtcNow();
        subscription.PreviousSecret = overlap > TimeSpan.Zero ? subscription.Secret : null;
        subscription.PreviousSecretUntil = overlap > TimeSpan.Zero ? now + overlap : null;
        subscription.Secret = WebhookSigner.NewSecret();
        subscription.UpdatedAt = now;
        await db.SaveChangesAsync(CancellationToken.None);
        return TypedResults.Ok(new WebhookSecretDto(await ToDtoAsync(db, subscription, ct), subscription.Secret));
    }

    private static async Task<Results<Ok<WebhookDto>, NotFound<ErrorDto>>> EnableAsync(
        Guid id, IDbContextFactory<GatewayDbContext> dbFactory, WebhookOutbox outbox, TimeProvider time, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return NotFound();
        }

        Enable(subscription, true, time.GetUtcNow());
        subscription.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(CancellationToken.None);
        await outbox.ChangedAsync(CancellationToken.None);
        outbox.Signal();
        return TypedResults.Ok(await ToDtoAsync(db, subscription, ct));
    }

    private static async Task<Results<Accepted<WebhookDeliveryDto>, NotFound<ErrorDto>, Conflict<ErrorDto>>> TestAsync(
        Guid id, IDbContextFactory<GatewayDbContext> dbFactory, WebhookOutbox outbox, TimeProvider time, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return NotFound();
        }

        if (!subscription.Enabled)
        {
            return Disabled(subscription);
        }

        var now = time.GetUtcNow();
        // Its own ordering key: a test never waits behind (or holds up) a conversation's events.
        var e = WebhookOutbox.Create(WebhookEventTypes.Test, Ids.NewVersion7(now), new { webhookId = id, message = "A test event from ChatGateway." }, now);
        e.FannedOut = true;
        await using var transaction = await db.Database.BeginTransactionAsync(ct);
        db.WebhookEvents.Add(e);
        await db.SaveChangesAsync(CancellationToken.None);
        var delivery = new WebhookDelivery
        {
            Id = Ids.NewVersion7(now), SubscriptionId = id, EventSeq = e.Seq, OrderingKey = e.OrderingKey, Status = WebhookDeliveryStatus.Pending,
            NextAttemptAt = now, CreatedAt = now,
        };
        db.WebhookDeliveries.Add(delivery);
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        outbox.Signal();
        return TypedResults.Accepted($"/api/webhooks/{id}/deliveries", ToDto(delivery, e));
    }

    private static async Task<Results<Ok<List<WebhookDeliveryDto>>, BadRequest<ErrorDto>, NotFound<ErrorDto>>> DeliveriesAsync(
        Guid id, string? status, int? limit, IDbContextFactory<GatewayDbContext> dbFactory, CancellationToken ct)
    {
        WebhookDeliveryStatus? wanted = null;
        if (!string.IsNullOrEmpty(status))
        {
            if (!Enum.TryParse<WebhookDeliveryStatus>(status, ignoreCase: true, out var parsed) || !Enum.IsDefined(parsed) || int.TryParse(status, out _))
            {
                return TypedResults.BadRequest(new ErrorDto("status must be pending, delivered or failed"));
            }

            wanted = parsed;
        }

        var take = limit ?? 100;
        if (take is < 1 or > 1000)
        {
            return TypedResults.BadRequest(new ErrorDto("limit must be between 1 and 1000"));
        }

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (!await db.WebhookSubscriptions.AnyAsync(s => s.Id == id, ct))
        {
            return NotFound();
        }

        var query = db.WebhookDeliveries.AsNoTracking().Where(d => d.SubscriptionId == id);
        if (wanted is { } w)
        {
            query = query.Where(d => d.Status == w);
        }

        var rows = await (
                from d in query
                join e in db.WebhookEvents on d.EventSeq equals e.Seq
                orderby d.EventSeq descending
                select new { d, e.Id, e.Type })
            .Take(take)
            .ToListAsync(ct);
        return TypedResults.Ok(rows.Select(r => ToDto(r.d, r.Id, r.Type)).ToList());
    }

    private static async Task<Results<Ok<ReplayedDto>, NotFound<ErrorDto>, Conflict<ErrorDto>>> ReplayAsync(
        Guid id, Guid deliveryId, IDbContextFactory<GatewayDbContext> dbFactory, WebhookOutbox outbox, TimeProvider time, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        var delivery = subscription is null ? null : await db.WebhookDeliveries.AsNoTracking().FirstOrDefaultAsync(d => d.Id == deliveryId && d.SubscriptionId == id, ct);
        if (delivery is null)
        {
            return TypedResults.NotFound(new ErrorDto("no such delivery of this webhook"));
        }

        if (!subscription!.Enabled)
        {
            return Disabled(subscription);
        }

        if (delivery.Status == WebhookDeliveryStatus.Pending)
        {
            return TypedResults.Conflict(new ErrorDto("the delivery is still pending: it is sent (or retried) on its own"));
        }

        var replayed = await Requeue(db.WebhookDeliveries.Where(d => d.Id == deliveryId && d.Status != WebhookDeliveryStatus.Pending), time.GetUtcNow());
        outbox.Signal();
        return TypedResults.Ok(new ReplayedDto(replayed));
    }

    private static async Task<Results<Ok<ReplayedDto>, NotFound<ErrorDto>, Conflict<ErrorDto>>> ReplayFailedAsync(
        Guid id, IDbContextFactory<GatewayDbContext> dbFactory, WebhookOutbox outbox, TimeProvider time, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var subscription = await db.WebhookSubscriptions.AsNoTracking().FirstOrDefaultAsync(s => s.Id == id, ct);
        if (subscription is null)
        {
            return NotFound();
        }

        if (!subscription.Enabled)
        {
            return Disabled(subscription);
        }

        var replayed = await Requeue(db.WebhookDeliveries.Where(d => d.SubscriptionId == id && d.Status == WebhookDeliveryStatus.Failed), time.GetUtcNow());
        outbox.Signal();
        return TypedResults.Ok(new ReplayedDto(replayed));
    }

    /// <summary>Due again at once with a fresh set of attempts; the same event, so the same webhook-id.</summary>
    private static Task<int> Requeue(IQueryable<WebhookDelivery> deliveries, DateTimeOffset now) => deliveries.ExecuteUpdateAsync(s => s
        .SetProperty(d => d.Status, WebhookDeliveryStatus.Pending)
        .SetProperty(d => d.Attempts, 0)
        .SetProperty(d => d.NextAttemptAt, now)
        .SetProperty(d => d.Owner, (string?)null)
        .SetProperty(d => d.DeliveredAt, (DateTimeOffset?)null), CancellationToken.None);

    /// <summary>Enabled again, or disabled by a supervisor (no reason: the gateway gives one only when it disables).</summary>
    private static void Enable(WebhookSubscription subscription, bool enabled, DateTimeOffset now)
    {
        subscription.Enabled = enabled;
        subscription.DisabledReason = null;
        subscription.DisabledAt = enabled ? null : now;
        subscription.FailingSince = null;
    }

    private static Conflict<ErrorDto> Disabled(WebhookSubscription s) => TypedResults.Conflict(new ErrorDto(
        "the webhook is disabled" + (s.DisabledReason is { } reason ? $" ({reason})" : "") + "; enable it first (POST /api/webhooks/{id}/enable)"));

    private static NotFound<ErrorDto> NotFound() => TypedResults.NotFound(new ErrorDto("no such webhook"));

    /// <summary>An absolute http(s) URL: https anywhere, http only to loopback unless <see cref="WebhooksOptions.AllowHttp"/>.</summary>
    internal static string? CheckUrl(string? url, WebhooksOptions settings, out string? error)
    {
        error = null;
        var trimmed = url?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            error = "url is required";
        }
        else if (trimmed.Length > MaxUrlLength)
        {
            error = $"url is {trimmed.Length} characters; the limit is {MaxUrlLength}";
        }
        else if (!Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http"))
        {
            error = "url must be an absolute http(s) address, e.g. https://crm.example.com/hooks/chat";
        }
        else if (!string.IsNullOrEmpty(uri.UserInfo))
        {
            error = "url must not carry a user name or password; the signature proves the sender";
        }
        else if (!string.IsNullOrEmpty(uri.Fragment))
        {
            error = "url must not have a #fragment";
        }
        else if (uri.Scheme == "http" && !settings.AllowHttp && !IsLoopback(uri))
        {
            error = "url must use https (plain http only to localhost, unless Webhooks:AllowHttp is true): the events carry customers' messages";
        }
        else
        {
            return uri.AbsoluteUri;
        }

        return null;
    }

    private static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || (IPAddress.TryParse(uri.DnsSafeHost, out var address) && IPAddress.IsLoopback(address));

    internal static string[]? CheckEvents(IReadOnlyList<string>? events, out string? error)
    {
        error = null;
        if (events is null || events.Count == 0)
        {
            error = "events must list at least one of: " + string.Join(", ", WebhookEventTypes.All);
            return null;
        }

        var names = events.Select(e => e?.Trim() ?? "").ToList();
        var unknown = names.Where(n => !WebhookEventTypes.All.Contains(n)).Distinct().ToList();
        if (unknown.Count > 0)
        {
            error = $"unknown event {string.Join(", ", unknown.Select(u => $"'{u}'"))}; events are {string.Join(", ", WebhookEventTypes.All)}";
            return null;
        }

        return names.Distinct().ToArray();
    }

    private static string? CheckDescription(string? description) => description?.Trim().Length > 200 ? "description is longer than 200 characters" : null;

    private static string? Trimmed(string? text) => string.IsNullOrWhiteSpace(text) ? null : text.Trim();

    private static async Task<WebhookDto> ToDtoAsync(GatewayDbContext db, WebhookSubscription s, CancellationToken ct)
    {
        var counts = await db.WebhookDeliveries.AsNoTracking().Where(d => d.SubscriptionId == s.Id && d.Status != WebhookDeliveryStatus.Delivered)
            .GroupBy(d => d.Status).Select(g => new { g.Key, Count = g.Count() }).ToListAsync(ct);
        return new WebhookDto(
            s.Id, s.Url, s.EventList, s.Description, s.Enabled, s.DisabledReason, s.DisabledAt, s.FailingSince,
            counts.FirstOrDefault(c => c.Key == WebhookDeliveryStatus.Pending)?.Count ?? 0,
            counts.FirstOrDefault(c => c.Key == WebhookDeliveryStatus.Failed)?.Count ?? 0,
            s.PreviousSecretUntil, s.CreatedAt, s.UpdatedAt);
    }

    private static WebhookDeliveryDto ToDto(WebhookDelivery d, WebhookEvent e) => ToDto(d, e.Id, e.Type);

    private static WebhookDeliveryDto ToDto(WebhookDelivery d, Guid eventId, string type) => new(
        d.Id, WebhookSigner.MessageId(eventId), type, d.Status.ToString().ToLowerInvariant(), d.Attempts, d.LastStatusCode, d.LastError,
        d.LastAttemptAt, d.Status == WebhookDeliveryStatus.Pending ? d.NextAttemptAt : null, d.CreatedAt, d.DeliveredAt, d.OrderingKey);
}

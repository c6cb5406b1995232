using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Webhooks;

/// <summary>
/// Sends webhook events to the shop's endpoints, apart from ingest and routing (a slow or dead receiver holds only its
/// own deliveries). Each turn it makes the deliveries of new events (one per subscription that wants the type, once
/// across instances: an event is taken by one conditional update), then claims due deliveries and posts them, at most
/// <see cref="WebhooksOptions.ConcurrencyPerEndpoint"/> at a time to one endpoint.
/// </summary>
/// <remarks>
/// Order per conversation: a delivery is due only when no earlier event of the same ordering key is still pending for
/// the same subscription (head of line), so a receiver sees one conversation's events in the order they happened, also
/// while it fails and recovers. Several instances share the deliveries like <c>DeliveryService</c> shares messages: a
/// claim writes this instance into <see cref="WebhookDelivery.Owner"/> with a lease in
/// <see cref="WebhookDelivery.NextAttemptAt"/>, and a result is recorded only while the claim is still this instance's.
/// An instance that dies mid-attempt leaves its lease to expire, and the event is sent again with the same
/// <c>webhook-id</c> (at least once: receivers drop repeats by it).
/// </remarks>
internal sealed partial class WebhookDispatcher(
    IDbContextFactory<GatewayDbContext> dbFactory,
    WebhookOutbox outbox,
    GatewayInstance instance,
    StoreWriteGate writeGate,
    IOptions<WebhooksOptions> options,
    TimeProvider time,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    /// <summary>How much longer than an attempt a claim lasts (recording its result, clocks a few seconds apart).</summary>
    private static readonly TimeSpan LeaseMargin = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan CleanInterval = TimeSpan.FromHours(1);

    private const int FanOutBatch = 200;

    private readonly Dictionary<Guid, int> _inFlightPerEndpoint = [];

    private readonly HttpClient _http = new(new SocketsHttpHandler
    {
        // A receiver's redirect is not followed: the payload goes only where the supervisor said.
        AllowAutoRedirect = false,
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        ConnectTimeout = TimeSpan.FromSeconds(10),
    })
    {
        Timeout = Timeout.InfiniteTimeSpan,
    };

    private sealed record Claimed(Guid DeliveryId, int Attempts, Guid EventId, string Type, string Payload, WebhookSubscription Subscription);

    public override void Dispose()
    {
        _http.Dispose();
        base.Dispose();
    }

    /// <summary>Knows the subscriptions before start-up completes, so the first messages the gateway takes write their events.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            await outbox.RefreshAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogLoopFailed(logger, ex);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;

        var refresher = Periodic.RunAsync(time, settings.RefreshInterval, outbox.RefreshAsync, ex => LogLoopFailed(logger, ex), stoppingToken);
        var cleaner = Periodic.RunAsync(time, CleanInterval, CleanAsync, ex => LogLoopFailed(logger, ex), stoppingToken, runFirst: true);
        var inFlight = new List<Task>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                inFlight.RemoveAll(t => t.IsCompleted);
                if (!outbox.Any && inFlight.Count == 0)
                {
                    // No enabled subscription: no event is written and no delivery can be claimed, so the store is not asked.
                    await outbox.WaitAsync(settings.PollInterval, stoppingToken);
                    continue;
                }

                var more = false;
                try
                {
                    more = await FanOutAsync(stoppingToken);
                    var room = settings.Concurrency - inFlight.Count;
                    if (room > 0)
                    {
                        var claimed = await ClaimAsync(room, settings, stoppingToken);
                        foreach (var claim in claimed)
                        {
                            inFlight.Add(AttemptAsync(claim, settings, stoppingToken));
                        }

                        more |= claimed.Count == room;
                    }
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
                catch (Exception ex)
                {
                    LogLoopFailed(logger, ex);
                }

                if (inFlight.Count >= settings.Concurrency)
                {
                    await Task.WhenAny(inFlight).WaitAsync(stoppingToken);
                }
                else if (!more)
                {
                    await outbox.WaitAsync(settings.PollInterval, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            // Attempts stop on the same token and give their claims back; none outlives the host.
            await Task.WhenAll(inFlight);
            await refresher;
            await cleaner;
        }
    }

    /// <summary>Makes the deliveries of events not yet fanned out; true when there may be more.</summary>
    private async Task<bool> FanOutAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var events = await db.WebhookEvents.AsNoTracking().Where(e => !e.FannedOut).OrderBy(e => e.Seq)
            .Select(e => new { e.Seq, e.Type, e.OrderingKey }).Take(FanOutBatch).ToListAsync(cancellationToken);
        if (events.Count == 0)
        {
            return false;
        }

        var subscriptions = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.Enabled).Select(s => new { s.Id, s.Events }).ToListAsync(cancellationToken);
        var now = time.GetUtcNow();
        using var turn = await writeGate.EnterAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        foreach (var e in events)
        {
            var seq = e.Seq;
            // Taken by one instance: the others' update finds it fanned out.
            var taken = await db.WebhookEvents.Where(x => x.Seq == seq && !x.FannedOut).ExecuteUpdateAsync(s => s.SetProperty(x => x.FannedOut, true), cancellationToken);
            if (taken == 0)
            {
                continue;
            }

            foreach (var subscription in subscriptions.Where(s => s.Events.Split(' ').Contains(e.Type)))
            {
                db.WebhookDeliveries.Add(new WebhookDelivery
                {
                    Id = Ids.NewVersion7(now),
                    SubscriptionId = subscription.Id,
                    EventSeq = seq,
                    OrderingKey = e.OrderingKey,
                    Status = WebhookDeliveryStatus.Pending,
                    NextAttemptAt = now,
                    CreatedAt = now,
                });
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return events.Count == FanOutBatch;
    }

    /// <summary>
    /// Claims due deliveries that are first in line for their (subscription, conversation), within this instance's
    /// room overall and per endpoint.
    /// </summary>
    private async Task<List<Claimed>> ClaimAsync(int room, WebhooksOptions settings, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var now = time.GetUtcNow();
        var due = await db.WebhookDeliveries.AsNoTracking()
            .Where(d => d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now
                && db.WebhookSubscriptions.Any(s => s.Id == d.SubscriptionId && s.Enabled)
                && !db.WebhookDeliveries.Any(p => p.SubscriptionId == d.SubscriptionId && p.OrderingKey == d.OrderingKey
                    && p.Status == WebhookDeliveryStatus.Pending && p.EventSeq < d.EventSeq))
            .OrderBy(d => d.EventSeq)
            .Select(d => new { d.Id, d.SubscriptionId })
            .Take(room * 4)
            .ToListAsync(cancellationToken);
        if (due.Count == 0)
        {
            return [];
        }

        var picked = new List<Guid>();
        lock (_inFlightPerEndpoint)
        {
            var counts = new Dictionary<Guid, int>(_inFlightPerEndpoint);
            foreach (var d in due)
            {
                var busy = counts.GetValueOrDefault(d.SubscriptionId);
                if (picked.Count < room && busy < settings.ConcurrencyPerEndpoint)
                {
                    picked.Add(d.Id);
                    counts[d.SubscriptionId] = busy + 1;
                }
            }
        }

        if (picked.Count == 0)
        {
            return [];
        }

        var owner = instance.Id;
        var lease = now + settings.AttemptTimeout + LeaseMargin;
        using var turn = await writeGate.EnterAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        await db.WebhookDeliveries
            .Where(d => picked.Contains(d.Id) && d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptAt <= now)
            .ExecuteUpdateAsync(s => s
                .SetProperty(d => d.Owner, owner)
                .SetProperty(d => d.NextAttemptAt, lease)
                .SetProperty(d => d.Attempts, d => d.Attempts + 1), cancellationToken);
        var claimed = await (
                from d in db.WebhookDeliveries.AsNoTracking()
                where picked.Contains(d.Id) && d.Status == WebhookDeliveryStatus.Pending && d.Owner == owner && d.NextAttemptAt > now
                join e in db.WebhookEvents on d.EventSeq equals e.Seq
                join s in db.WebhookSubscriptions on d.SubscriptionId equals s.Id
                select new Claimed(d.Id, d.Attempts, e.Id, e.Type, e.Payload, s))
            .ToListAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        lock (_inFlightPerEndpoint)
        {
            foreach (var c in claimed)
            {
                _inFlightPerEndpoint[c.Subscription.Id] = _inFlightPerEndpoint.GetValueOrDefault(c.Subscription.Id) + 1;
            }
        }

        return claimed;
    }

    private async Task AttemptAsync(Claimed claim, WebhooksOptions settings, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Yield();
            var (code, error) = await PostAsync(claim, settings, stoppingToken);
            await RecordAsync(claim, code, error, settings);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await ReleaseAsync(claim);
        }
        catch (Exception ex)
        {
            // Not recorded: the lease expires and the event is sent again (same webhook-id).
            LogLoopFailed(logger, ex);
        }
        finally
        {
            lock (_inFlightPerEndpoint)
            {
                var left = _inFlightPerEndpoint.GetValueOrDefault(claim.Subscription.Id) - 1;
                if (left <= 0)
                {
                    _inFlightPerEndpoint.Remove(claim.Subscription.Id);
                }
                else
                {
                    _inFlightPerEndpoint[claim.Subscription.Id] = left;
                }
            }

            // The next event of its conversation is due now.
            outbox.Signal();
        }
    }

    /// <summary>One POST: the receiver's status code, or null and why it did not answer.</summary>
    private async Task<(int? Code, string? Error)> PostAsync(Claimed claim, WebhooksOptions settings, CancellationToken stoppingToken)
    {
        var now = time.GetUtcNow();
        var messageId = WebhookSigner.MessageId(claim.EventId);
        var timestamp = now.ToUnixTimeSeconds();
        using var request = new HttpRequestMessage(HttpMethod.Post, claim.Subscription.Url)
        {
            Content = new StringContent(claim.Payload, Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("webhook-id", messageId);
        request.Headers.Add("webhook-timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add("webhook-signature", WebhookSigner.Signatures(claim.Subscription, messageId, timestamp, claim.Payload, now));
        request.Headers.UserAgent.Add(new ProductInfoHeaderValue("ChatGateway-Webhooks", "1"));
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        attempt.CancelAfter(settings.AttemptTimeout);
        try
        {
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, attempt.Token);
            return ((int)response.StatusCode, response.IsSuccessStatusCode ? null : $"the endpoint answered {(int)response.StatusCode} {response.ReasonPhrase}".Trim());
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return (null, $"no answer within {settings.AttemptTimeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException ex)
        {
            return (null, ex.HttpRequestError == HttpRequestError.Unknown ? "request failed: " + ex.Message : $"request failed: {ex.HttpRequestError}");
        }
    }

    private async Task RecordAsync(Claimed claim, int? code, string? error, WebhooksOptions settings)
    {
        var now = time.GetUtcNow();
        var owner = instance.Id;
        var id = claim.DeliveryId;
        var subscriptionId = claim.Subscription.Id;
        var messageId = WebhookSigner.MessageId(claim.EventId);
        var attempts = claim.Attempts;
        var maxAttempts = settings.Schedule.Count + 1;
        error = error is { Length: > 500 } ? error[..500] : error;
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        using var turn = await writeGate.EnterAsync(CancellationToken.None);
        await using var transaction = await db.Database.BeginTransactionAsync(CancellationToken.None);
        var mine = db.WebhookDeliveries.Where(d => d.Id == id && d.Status == WebhookDeliveryStatus.Pending && d.Owner == owner);
        string? disable = null;
        if (code is >= 200 and < 300)
        {
            if (await mine.ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Status, WebhookDeliveryStatus.Delivered)
                    .SetProperty(d => d.DeliveredAt, now)
                    .SetProperty(d => d.LastAttemptAt, now)
                    .SetProperty(d => d.LastStatusCode, code)
                    .SetProperty(d => d.LastError, (string?)null)
                    .SetProperty(d => d.NextAttemptAt, (DateTimeOffset?)null)
                    .SetProperty(d => d.Owner, (string?)null), CancellationToken.None) == 0)
            {
                LogNotOwner(logger, id);
                return;
            }

            await db.WebhookSubscriptions.Where(s => s.Id == subscriptionId && s.FailingSince != null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.FailingSince, (DateTimeOffset?)null), CancellationToken.None);
            LogDelivered(logger, messageId, claim.Type, subscriptionId, attempts);
        }
        else
        {
            var gone = code == (int)HttpStatusCode.Gone;
            var exhausted = !gone && attempts >= maxAttempts;
            // Gone: not delivered, kept pending (sent if a supervisor enables the endpoint again, in its place in line).
            var status = exhausted ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending;
            var wait = gone || exhausted ? TimeSpan.Zero : Jittered(settings.Schedule[attempts - 1], Random.Shared.NextDouble());
            DateTimeOffset? next = exhausted ? null : now + wait;
            if (await mine.ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Status, status)
                    .SetProperty(d => d.LastAttemptAt, now)
                    .SetProperty(d => d.LastStatusCode, code)
                    .SetProperty(d => d.LastError, error)
                    .SetProperty(d => d.NextAttemptAt, next)
                    .SetProperty(d => d.Owner, (string?)null), CancellationToken.None) == 0)
            {
                LogNotOwner(logger, id);
                return;
            }

            await db.WebhookSubscriptions.Where(s => s.Id == subscriptionId && s.FailingSince == null)
                .ExecuteUpdateAsync(s => s.SetProperty(x => x.FailingSince, now), CancellationToken.None);
            var failingSince = await db.WebhookSubscriptions.Where(s => s.Id == subscriptionId).Select(s => s.FailingSince).FirstOrDefaultAsync(CancellationToken.None);
            if (gone)
            {
                disable = $"the endpoint answered 410 Gone at {now.UtcDateTime:u}: it asked not to be sent events any more";
            }
            else if (exhausted)
            {
                disable = $"event {claim.Type} ({messageId}) failed all {attempts} attempts; the last: {error}";
            }
            else if (failingSince is { } since && now - since >= settings.DisableAfter)
            {
                disable = $"every attempt failed since {since.UtcDateTime:u}; the last: {error}";
            }

            if (exhausted)
            {
                LogExhausted(logger, messageId, claim.Type, subscriptionId, attempts);
            }
            else
            {
                LogRetrying(logger, messageId, claim.Type, subscriptionId, attempts, code, wait);
            }
        }

        if (disable is not null)
        {
            var reason = disable.Length > 500 ? disable[..500] : disable;
            await db.WebhookSubscriptions.Where(s => s.Id == subscriptionId && s.Enabled)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(x => x.Enabled, false)
                    .SetProperty(x => x.DisabledReason, reason)
                    .SetProperty(x => x.DisabledAt, now)
                    .SetProperty(x => x.UpdatedAt, now), CancellationToken.None);
            LogDisabled(logger, subscriptionId, reason);
        }

        await transaction.CommitAsync(CancellationToken.None);
        if (disable is not null)
        {
            await outbox.ChangedAsync(CancellationToken.None);
        }
    }

    /// <summary>Stopping: the claim is given back, due at once and its attempt not counted.</summary>
    private async Task ReleaseAsync(Claimed claim)
    {
        try
        {
            var owner = instance.Id;
            var now = time.GetUtcNow();
            var id = claim.DeliveryId;
            await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
            using var turn = await writeGate.EnterAsync(CancellationToken.None);
            await db.WebhookDeliveries.Where(d => d.Id == id && d.Status == WebhookDeliveryStatus.Pending && d.Owner == owner)
                .ExecuteUpdateAsync(s => s
                    .SetProperty(d => d.Owner, (string?)null)
                    .SetProperty(d => d.NextAttemptAt, now)
                    .SetProperty(d => d.Attempts, d => d.Attempts - 1), CancellationToken.None);
        }
        catch (Exception ex)
        {
            // Its lease expires and it is sent then.
            LogLoopFailed(logger, ex);
        }
    }

    /// <summary>Deletes what was delivered long ago, and events nobody needs any more.</summary>
    private async Task CleanAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - options.Value.Retention;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        using var turn = await writeGate.EnterAsync(cancellationToken);
        await db.WebhookDeliveries.Where(d => d.Status == WebhookDeliveryStatus.Delivered && d.DeliveredAt < cutoff).ExecuteDeleteAsync(cancellationToken);
        await db.WebhookEvents.Where(e => e.FannedOut && e.CreatedAt < cutoff && !db.WebhookDeliveries.Any(d => d.EventSeq == e.Seq))
            .ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>A wait of the schedule spread by ±20% (<paramref name="random"/> in [0, 1)), so endpoints' retries after one outage do not all come at once.</summary>
    internal static TimeSpan Jittered(TimeSpan wait, double random) => TimeSpan.FromTicks((long)(wait.Ticks * (0.8 + 0.4 * random)));

    [LoggerMessage(EventId = 9000, Level = LogLevel.Information, Message = "Webhook {MessageId} ({Type}) delivered to subscription {SubscriptionId} (attempt {Attempt})")]
    private static partial void LogDelivered(ILogger logger, string messageId, string type, Guid subscriptionId, int attempt);

    [LoggerMessage(EventId = 9001, Level = LogLevel.Warning, Message = "Webhook {MessageId} ({Type}) to subscription {SubscriptionId}: attempt {Attempt} failed (status {StatusCode}); retrying in {Wait}")]
    private static partial void LogRetrying(ILogger logger, string messageId, string type, Guid subscriptionId, int attempt, int? statusCode, TimeSpan wait);

    [LoggerMessage(EventId = 9002, Level = LogLevel.Error, Message = "Webhook {MessageId} ({Type}) to subscription {SubscriptionId} failed all {Attempts} attempts; it is in the failed list for replay")]
    private static partial void LogExhausted(ILogger logger, string messageId, string type, Guid subscriptionId, int attempts);

    [LoggerMessage(EventId = 9003, Level = LogLevel.Warning, Message = "Webhook subscription {SubscriptionId} disabled: {Reason}")]
    private static partial void LogDisabled(ILogger logger, Guid subscriptionId, string reason);

    [LoggerMessage(EventId = 9004, Level = LogLevel.Error, Message = "Webhook dispatcher step failed; continuing")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 9005, Level = LogLevel.Warning, Message = "Webhook delivery {DeliveryId}: result not recorded, the claim expired and another instance took it over")]
    private static partial void LogNotOwner(ILogger logger, Guid deliveryId);
}

using System.Collections.Frozen;
using System.Text.Json;
using System.Threading.Channels;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Webhooks;

/// <summary>
/// Where the gateway's features write webhook events: into the context of the change they tell of (saved in its
/// transaction), only when an enabled subscription wants that type. Which types are wanted is kept in memory
/// (<see cref="Wants"/>, a set read without a lock), refreshed when subscriptions change here and every
/// <see cref="WebhooksOptions.RefreshInterval"/> for changes made on another instance: with no subscription, an event
/// costs one set lookup and writes nothing.
/// </summary>
internal sealed partial class WebhookOutbox(IDbContextFactory<GatewayDbContext> dbFactory, IServiceProvider services, TimeProvider time)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private volatile FrozenSet<string> _wanted = FrozenSet<string>.Empty;

    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    /// <summary>Whether any enabled subscription wants events of <paramref name="type"/> (false before the first refresh).</summary>
    public bool Wants(string type) => _wanted.Contains(type);

    /// <summary>Whether any enabled subscription wants any event at all.</summary>
    public bool Any => _wanted.Count > 0;

    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var events = await db.WebhookSubscriptions.AsNoTracking().Where(s => s.Enabled).Select(s => s.Events).ToListAsync(cancellationToken);
        _wanted = events.SelectMany(e => e.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToFrozenSet(StringComparer.Ordinal);
    }

    /// <summary>
    /// After a subscription changed here: reads them again, and tells the other instances to (at once, rather than at
    /// their next <see cref="WebhooksOptions.RefreshInterval"/>, so they do not leave out events a new subscription wants).
    /// With Redis away the others catch up at that interval.
    /// </summary>
    public async Task ChangedAsync(CancellationToken cancellationToken)
    {
        await RefreshAsync(cancellationToken);
        try
        {
            await services.GetRequiredService<Routing.GatewayEventBus>().PublishAsync(new Routing.GatewayEvent(Routing.GatewayEventTypes.WebhooksChanged, Guid.Empty));
        }
        catch (StackExchange.Redis.RedisException)
        {
            // The periodic refresh covers it.
        }
    }

    /// <summary>
    /// Adds the event to <paramref name="db"/> (written by its next SaveChanges, with the change) when it is wanted;
    /// <paramref name="orderingKey"/> is the conversation (or contact) whose events a receiver gets in order.
    /// </summary>
    public WebhookEvent? Add(GatewayDbContext db, string type, Guid orderingKey, object data)
    {
        if (!Wants(type))
        {
            return null;
        }

        var e = Create(type, orderingKey, data, time.GetUtcNow());
        db.WebhookEvents.Add(e);
        return e;
    }

    /// <summary>An event row (not yet stored): its body is the Standard Webhooks payload, <c>{type, timestamp, data}</c>.</summary>
    public static WebhookEvent Create(string type, Guid orderingKey, object data, DateTimeOffset at) => new()
    {
        Id = Ids.NewVersion7(at),
        Type = type,
        OrderingKey = orderingKey,
        CreatedAt = at,
        Payload = JsonSerializer.Serialize(new { type, timestamp = at.UtcDateTime, data }, Json),
    };

    /// <summary>Tells the dispatcher that events or deliveries were written (a coalescing signal; the store holds the work).</summary>
    public void Signal() => _wake.Writer.TryWrite(true);

    public async Task WaitAsync(TimeSpan poll, CancellationToken stoppingToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        timeout.CancelAfter(poll);
        try
        {
            await _wake.Reader.WaitToReadAsync(timeout.Token);
            _wake.Reader.TryRead(out _);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
        }
    }
}

using System.Threading.Channels;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Routing;

/// <summary>A new waiting conversation whose hand-off to routing failed (Redis down or slow).</summary>
internal sealed record HandOffRetry(Guid ConversationId, Guid? PreferredAgent, string? ChannelType);

/// <summary>
/// Retries failed hand-offs to routing at once and then with backoff (0.2 s doubling to 10 s, with
/// jitter) until one succeeds or the conversation no longer needs it (assigned, queued or closed), so a
/// customer whose message came in while Redis was away is queued, and told their place, as soon as it is
/// back. <see cref="RoutingRecoveryService"/> stays the safety net (a full queue here, a restart).
/// </summary>
internal sealed partial class HandOffRetryService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    RedisRoutingStore store,
    ConversationRouter router,
    AutoReplyService autoReply,
    GatewayEventBus events,
    TimeProvider time,
    ILogger<HandOffRetryService> logger) : BackgroundService
{
    internal static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(200);
    internal static readonly TimeSpan MaxDelay = TimeSpan.FromSeconds(10);

    private readonly Channel<HandOffRetry> _queue = Channel.CreateBounded<HandOffRetry>(
        new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    /// <summary>Queues a retry without waiting; false when the queue is full (recovery picks the conversation up).</summary>
    public bool Schedule(HandOffRetry retry)
    {
        if (_queue.Writer.TryWrite(retry))
        {
            return true;
        }

        LogQueueFull(logger, retry.ConversationId);
        return false;
    }

    /// <summary>Delay before retry number <paramref name="attempt"/> (1 = first): doubling from 0.2 s, at most 10 s, ±20 % jitter.</summary>
    internal static TimeSpan Backoff(int attempt, double random)
    {
        var delay = FirstDelay * Math.Pow(2, Math.Min(attempt - 1, 16));
        if (delay > MaxDelay)
        {
            delay = MaxDelay;
        }

        return delay * (0.8 + 0.4 * random);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = new Dictionary<Guid, (HandOffRetry Retry, int Attempts, DateTimeOffset Due)>();
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                while (_queue.Reader.TryRead(out var retry))
                {
                    pending.TryAdd(retry.ConversationId, (retry, 0, time.GetUtcNow()));
                }

                if (pending.Count == 0)
                {
                    await _queue.Reader.WaitToReadAsync(stoppingToken);
                    continue;
                }

                foreach (var (id, entry) in pending.Where(p => p.Value.Due <= time.GetUtcNow()).ToList())
                {
                    try
                    {
                        await HandOffAsync(entry.Retry, stoppingToken);
                        pending.Remove(id);
                        LogSucceeded(logger, id, entry.Attempts + 1);
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                    {
                        var attempts = entry.Attempts + 1;
                        var delay = Backoff(attempts, Random.Shared.NextDouble());
                        pending[id] = (entry.Retry, attempts, time.GetUtcNow() + delay);
                        LogRetryFailed(logger, ex, id, attempts, delay);
                    }
                }

                await WaitForDueOrNewAsync(pending.Values.Min(p => p.Due), stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Routes the conversation unless it no longer needs it; throws when routing fails again.</summary>
    private async Task HandOffAsync(HandOffRetry retry, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var c = await db.Conversations.AsNoTracking()
            .Where(x => x.Id == retry.ConversationId)
            .Select(x => new { x.Status, x.Skill, x.Priority, x.CreatedAt })
            .FirstOrDefaultAsync(cancellationToken);
        if (c is null || c.Status != ConversationStatus.Waiting)
        {
            return; // assigned or closed meanwhile
        }

        var held = await store.GetHeldAsync(retry.ConversationId);
        if (held.AgentId is not null)
        {
            // Redis decided, the record did not follow (recovery on another instance may record it at the same moment: once).
            await router.FollowRedisAsync(retry.ConversationId, null, c.Skill, held);
            return;
        }

        if (held.Queued)
        {
            // Queued before the failure: the customer may not have heard their place yet.
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Waiting, retry.ConversationId));
            return;
        }

        if (!await router.EnqueueAsync(retry.ConversationId, c.Skill, c.Priority, c.CreatedAt, retry.PreferredAgent, retry.ChannelType))
        {
            await autoReply.SendIfNeededAsync(retry.ConversationId, c.Skill);
        }
    }

    private async Task WaitForDueOrNewAsync(DateTimeOffset due, CancellationToken stoppingToken)
    {
        var delay = due - time.GetUtcNow();
        if (delay <= TimeSpan.Zero)
        {
            return;
        }

        using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var timer = Task.Delay(delay, time, wake.Token);
        var arrival = _queue.Reader.WaitToReadAsync(wake.Token).AsTask();
        await Task.WhenAny(timer, arrival);
        await wake.CancelAsync();
        stoppingToken.ThrowIfCancellationRequested();
    }

    [LoggerMessage(EventId = 3110, Level = LogLevel.Warning, Message = "Hand-off of conversation {ConversationId} failed again (attempt {Attempts}); next try in {Delay}")]
    private static partial void LogRetryFailed(ILogger logger, Exception exception, Guid conversationId, int attempts, TimeSpan delay);

    [LoggerMessage(EventId = 3111, Level = LogLevel.Information, Message = "Hand-off of conversation {ConversationId} done after {Attempts} retries")]
    private static partial void LogSucceeded(ILogger logger, Guid conversationId, int attempts);

    [LoggerMessage(EventId = 3112, Level = LogLevel.Error, Message = "Hand-off retry queue full; conversation {ConversationId} waits for routing recovery")]
    private static partial void LogQueueFull(ILogger logger, Guid conversationId);
}

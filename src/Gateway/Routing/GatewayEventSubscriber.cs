using System.Threading.Channels;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// A worker that hears every <see cref="GatewayEvent"/> of the cluster on this instance: this instance's own events in
/// process (<see cref="GatewayEventBus.AddLocal"/>), the other instances' through Redis. It listens before start-up
/// completes (so nothing published after start is missed); with Redis down the gateway still starts, hears its own
/// events, and subscribes once Redis answers. One event that fails is logged and the next one is read.
/// </summary>
internal abstract partial class GatewayEventSubscriber(GatewayEventBus events, ILogger logger) : BackgroundService
{
    // Unbounded as Redis' own subscription queue is: a handler slower than the events falls behind rather than drops them.
    private readonly Channel<GatewayEvent> _inbox = Channel.CreateUnbounded<GatewayEvent>(new UnboundedChannelOptions { SingleReader = true });
    private ChannelMessageQueue? _queue;

    /// <summary>Acts on one event; events of types it does not care about are ignored.</summary>
    protected abstract Task HandleAsync(GatewayEvent gatewayEvent, CancellationToken cancellationToken);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        events.AddLocal(_inbox.Writer);
        try
        {
            Listen(await events.SubscribeAsync());
        }
        catch (RedisException ex)
        {
            LogSubscribeFailed(logger, ex, GetType().Name);
        }

        await base.StartAsync(cancellationToken);
    }

    /// <summary>Passes the other instances' events from Redis to the inbox, in their order.</summary>
    private void Listen(ChannelMessageQueue queue)
    {
        _queue = queue;
        queue.OnMessage(message =>
        {
            try
            {
                if (GatewayEventBus.Parse(message.Message) is { } gatewayEvent && gatewayEvent.Origin != events.InstanceId)
                {
                    _inbox.Writer.TryWrite(gatewayEvent);
                }
            }
            catch (System.Text.Json.JsonException ex)
            {
                LogHandleFailed(logger, ex, GetType().Name);
            }
        });
    }

    private async Task SubscribeWhenRedisAnswersAsync(CancellationToken stoppingToken)
    {
        while (_queue is null)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            try
            {
                Listen(await events.SubscribeAsync());
            }
            catch (RedisException)
            {
                // still down
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var subscribing = SubscribeWhenRedisAnswersAsync(stoppingToken);
        try
        {
            await foreach (var gatewayEvent in _inbox.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await HandleAsync(gatewayEvent, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogHandleFailed(logger, ex, GetType().Name);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            events.RemoveLocal(_inbox.Writer);
            try
            {
                await subscribing;
            }
            catch (OperationCanceledException)
            {
            }

            if (_queue is { } queue)
            {
                await queue.UnsubscribeAsync();
            }
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "{Subscriber} cannot subscribe to live events: Redis is not reachable; retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception, string subscriber);

    [LoggerMessage(EventId = 5000, Level = LogLevel.Error, Message = "{Subscriber} failed to handle a live event")]
    private static partial void LogHandleFailed(ILogger logger, Exception exception, string subscriber);
}

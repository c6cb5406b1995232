using StackExchange.Redis;

namespace ChatGateway.Gateway.Routing;

/// <summary>
/// A worker that hears every <see cref="GatewayEvent"/> of the cluster on this instance. It subscribes before
/// start-up completes (so nothing published after start is missed); with Redis down the gateway still starts
/// and the worker subscribes once Redis answers. One event that fails is logged and the next one is read.
/// </summary>
internal abstract partial class GatewayEventSubscriber(GatewayEventBus events, ILogger logger) : BackgroundService
{
    private ChannelMessageQueue? _queue;

    /// <summary>Acts on one event; events of types it does not care about are ignored.</summary>
    protected abstract Task HandleAsync(GatewayEvent gatewayEvent, CancellationToken cancellationToken);

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            _queue = await events.SubscribeAsync();
        }
        catch (RedisException ex)
        {
            LogSubscribeFailed(logger, ex, GetType().Name);
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (_queue is null)
        {
            await Task.Delay(TimeSpan.FromSeconds(2), stoppingToken);
            try
            {
                _queue = await events.SubscribeAsync();
            }
            catch (RedisException)
            {
                // still down
            }
        }

        var queue = _queue;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var message = await queue.ReadAsync(stoppingToken);
                try
                {
                    if (GatewayEventBus.Parse(message.Message) is { } gatewayEvent)
                    {
                        await HandleAsync(gatewayEvent, stoppingToken);
                    }
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
        catch (System.Threading.Channels.ChannelClosedException)
        {
        }
        finally
        {
            await queue.UnsubscribeAsync();
        }
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Error, Message = "{Subscriber} cannot subscribe to live events: Redis is not reachable; retrying")]
    private static partial void LogSubscribeFailed(ILogger logger, Exception exception, string subscriber);

    [LoggerMessage(EventId = 5000, Level = LogLevel.Error, Message = "{Subscriber} failed to handle a live event")]
    private static partial void LogHandleFailed(ILogger logger, Exception exception, string subscriber);
}

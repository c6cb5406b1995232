namespace ChatGateway.Gateway.Plugins;

/// <summary>Starts the background services each running channel instance registered, with the gateway, and stops them in reverse.</summary>
internal sealed partial class ChannelLifetimeService(ChannelRegistry channels, ILogger<ChannelLifetimeService> logger) : IHostedService
{
    private readonly List<IHostedService> _started = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var channel in channels.Running)
        {
            foreach (var hosted in channel.Services!.GetServices<IHostedService>())
            {
                await hosted.StartAsync(cancellationToken);
                _started.Add(hosted);
            }
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        for (var i = _started.Count - 1; i >= 0; i--)
        {
            try
            {
                await _started[i].StopAsync(cancellationToken);
            }
            catch (Exception ex)
            {
                LogStopFailed(logger, ex);
            }
        }

        _started.Clear();
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "A channel background service failed to stop")]
    private static partial void LogStopFailed(ILogger logger, Exception exception);
}

using ChatGateway.Abstractions;

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Plugins.WeChat.Api;

/// <summary>
/// Keeps the shared access_token fresh: refreshes it at 80% of its life (under the lease, so one instance of the
/// cluster does), retries every half minute while WeChat cannot be reached. Ready while a valid token is stored.
/// </summary>
internal sealed class WeChatTokenService(WeChatAccessTokens tokens, TimeProvider time, ILogger<WeChatTokenService> logger)
    : BackgroundService, IChannelReadiness
{
    private static readonly TimeSpan Retry = TimeSpan.FromSeconds(30);

    public async Task<string?> CheckAsync(CancellationToken cancellationToken) =>
        await tokens.ReadAsync(cancellationToken) is null ? "no WeChat access_token yet (is the API reachable, the IP whitelisted?)" : null;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var wait = Retry;
            try
            {
                var token = await tokens.ReadAsync(stoppingToken);
                if (token is null || token.RefreshAt <= time.GetUtcNow())
                {
                    await tokens.RefreshAsync(token?.Value, stoppingToken);
                    token = await tokens.ReadAsync(stoppingToken);
                }

                if (token is not null)
                {
                    var untilRefresh = token.RefreshAt - time.GetUtcNow();
                    wait = untilRefresh > TimeSpan.Zero ? untilRefresh : TimeSpan.FromSeconds(1);
                    wait = wait > Retry * 10 ? Retry * 10 : wait;
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Log.TokenServiceFailed(logger, ex);
            }

            try
            {
                await Task.Delay(wait, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}

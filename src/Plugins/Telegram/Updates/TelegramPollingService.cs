using System.Globalization;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Api;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Telegram.Updates;

/// <summary>
/// Long polling (<see cref="TelegramOptions.LongPolling"/>): while this gateway instance holds the instance's polling
/// lease, asks <c>getUpdates</c> from the offset kept in <see cref="IChannelState"/>, handles each update as a webhook
/// would, and moves the offset past an update only once it is stored (or refused, or recorded, or not a message). A store
/// that fails leaves the offset where it is: the update comes again.
/// </summary>
internal sealed class TelegramPollingService(
    IServiceScopeFactory scopes, TelegramBotClient client, IChannelState state, IChannelLeases leases,
    IOptionsMonitor<TelegramOptions> options, TimeProvider time, ILogger<TelegramPollingService> logger) : BackgroundService
{
    public const string OffsetKey = "telegram:offset";
    public const string LeaseName = "telegram:polling";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.LongPolling)
        {
            return;
        }

        try
        {
            await PollAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task PollAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var settings = options.CurrentValue;
            await using var lease = await leases.TryAcquireAsync(LeaseName, settings.PollTimeout + (2 * settings.RequestTimeout), stoppingToken);
            if (lease is null)
            {
                // Another gateway instance polls; try again when its lease could have run out.
                await Task.Delay(settings.PollTimeout, time, stoppingToken);
                continue;
            }

            while (!stoppingToken.IsCancellationRequested && await lease.RenewAsync(stoppingToken))
            {
                if (await PollOnceAsync(stoppingToken))
                {
                    backoff = TimeSpan.FromSeconds(1);
                    continue;
                }

                await Task.Delay(backoff, time, stoppingToken);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, settings.MaxRegistrationBackoff.Ticks));
            }
        }
    }

    /// <summary>One getUpdates and its updates; false when something is to be tried again after a wait.</summary>
    private async Task<bool> PollOnceAsync(CancellationToken stoppingToken)
    {
        var settings = options.CurrentValue;
        var offset = await state.GetAsync(OffsetKey, stoppingToken);
        long? from = long.TryParse(offset, NumberStyles.None, CultureInfo.InvariantCulture, out var stored) ? stored : null;
        var result = await client.GetUpdatesAsync(from, stoppingToken);
        if (!result.Ok || result.Result is null)
        {
            Log.PollFailed(logger, result.Unreachable ?? $"Telegram answered {result.Status}");
            return false;
        }

        foreach (var item in result.Result)
        {
            if (!item.TryGetProperty("update_id", out var idValue) || !idValue.TryGetInt64(out var updateId))
            {
                Log.PollFailed(logger, "an update without update_id");
                return false;
            }

            var (update, error) = TelegramMapper.ToUpdate(item);
            if (error is not null)
            {
                // It will not become readable by coming again: passed over.
                Log.WebhookRejected(logger, 400, error);
            }
            else if (update is not null)
            {
                await using var scope = scopes.CreateAsyncScope();
                try
                {
                    await TelegramUpdateHandler.HandleAsync(scope.ServiceProvider, logger, update, settings, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
                {
                    Log.PollFailed(logger, $"the gateway did not store the update ({ex.GetType().Name})");
                    return false;
                }
            }

            var next = (updateId + 1).ToString(CultureInfo.InvariantCulture);
            if (!await state.CompareAndSetAsync(OffsetKey, offset, next, stoppingToken))
            {
                // Another instance moved it (its lease ran out under us): start from where it is.
                return false;
            }

            offset = next;
        }

        return true;
    }
}

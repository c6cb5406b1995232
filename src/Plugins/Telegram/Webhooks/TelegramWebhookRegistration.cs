using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Api;

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Telegram.Webhooks;

/// <summary>
/// At start-up, tells Telegram where the webhook is (<c>setWebhook</c> with <c>url</c> and <c>secret_token</c>) when
/// <see cref="TelegramOptions.WebhookUrl"/> is set, else checks the token (<c>getMe</c>). Tried again with a growing wait
/// until Telegram accepts it; start-up never waits for it and webhooks are taken meanwhile. Until then the instance
/// reports itself not ready.
/// </summary>
internal sealed class TelegramWebhookRegistration(
    TelegramBotClient client, IOptionsMonitor<TelegramOptions> options, TimeProvider time, ILogger<TelegramWebhookRegistration> logger)
    : BackgroundService, IChannelReadiness
{
    private volatile string? _notReady = "Telegram not reached yet";

    public Task<string?> CheckAsync(CancellationToken cancellationToken) => Task.FromResult(_notReady);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            var settings = options.CurrentValue;
            var register = !string.IsNullOrWhiteSpace(settings.WebhookUrl);
            // Long polling: getUpdates is refused while a webhook is set, so any is removed.
            var method = register ? "setWebhook" : settings.LongPolling ? "deleteWebhook" : "getMe";
            (bool Ok, int Status, string? Description, string? Unreachable) result;
            try
            {
                result = register ? Outcome(await client.SetWebhookAsync(settings.WebhookUrl!, settings.SecretToken, stoppingToken))
                    : settings.LongPolling ? Outcome(await client.DeleteWebhookAsync(stoppingToken))
                    : Outcome(await client.GetMeAsync(stoppingToken));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            if (result.Ok)
            {
                _notReady = null;
                Log.Registered(logger, method, attempt);
                return;
            }

            // Telegram's description is fixed text ("Unauthorized", "Bad Request: bad webhook: …"), never a customer's.
            var reason = result.Unreachable ?? $"Telegram answered {result.Status}{(result.Description is null ? "" : $": {result.Description}")}";
            _notReady = result.Status == 401 ? $"Telegram refused the bot token ({method}: 401); check BotToken" : $"{method} not accepted yet: {reason}";
            Log.RegistrationFailed(logger, method, reason, delay);
            try
            {
                await Task.Delay(delay, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, settings.MaxRegistrationBackoff.Ticks));
        }
    }

    private static (bool, int, string?, string?) Outcome<T>(TelegramCallResult<T> result) =>
        (result.Ok, result.Status, result.Description, result.Unreachable);
}

using ChatGateway.Gateway.Routing;

namespace ChatGateway.Gateway.Webhooks;

/// <summary>Reads the webhook subscriptions again when another instance changed them (<see cref="GatewayEventTypes.WebhooksChanged"/>).</summary>
internal sealed class WebhookSubscriptionWatcher(GatewayEventBus events, WebhookOutbox outbox, ILogger<WebhookSubscriptionWatcher> logger)
    : GatewayEventSubscriber(events, logger)
{
    protected override Task HandleAsync(GatewayEvent gatewayEvent, CancellationToken cancellationToken) =>
        gatewayEvent.Type == GatewayEventTypes.WebhooksChanged && gatewayEvent.Origin is not null
            ? outbox.RefreshAsync(cancellationToken)
            : Task.CompletedTask;
}

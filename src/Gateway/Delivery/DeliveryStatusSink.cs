using ChatGateway.Abstractions;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Delivery;

/// <summary>Applies a provider's delivery report to the message sent through one instance.</summary>
internal sealed class DeliveryStatusSink(IDbContextFactory<GatewayDbContext> dbFactory, GatewayEventBus events, TimeProvider time, string instanceId) : IDeliveryStatusSink
{
    public async Task<bool> ReportAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var key = Message.KeyOf(instanceId, MessageDirection.Out, update.ProviderMessageId);
        var message = await db.Messages.FirstOrDefaultAsync(
            m => m.ProviderKey == key && m.InstanceId == instanceId && m.Direction == MessageDirection.Out && m.ProviderMessageId == update.ProviderMessageId, cancellationToken);
        if (message is null)
        {
            return false;
        }

        var next = update.Status switch
        {
            DeliveryStatus.Delivered => MessageStatus.Delivered,
            DeliveryStatus.Failed => MessageStatus.Failed,
            _ => MessageStatus.Sent,
        };

        // Reports can arrive out of order: never step back from delivered or failed to sent. A failed reply
        // the agent sent again elsewhere stays so (the new message carries the conversation on).
        if (next == message.Status || message.Status == MessageStatus.Resent
            || (next == MessageStatus.Sent && message.Status is MessageStatus.Delivered or MessageStatus.Failed))
        {
            return true;
        }

        message.Status = next;
        message.Error = next == MessageStatus.Failed ? update.Error ?? "the provider reported a failure" : null;
        message.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);

        var agentId = await db.Conversations.Where(c => c.Id == message.ConversationId).Select(c => c.AssignedAgentId).FirstOrDefaultAsync(cancellationToken);
        if (agentId is { } agent)
        {
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageStatus, message.ConversationId, agent, message.Id));
        }

        return true;
    }
}

using ChatGateway.Abstractions;
using Microsoft.Extensions.Hosting;

namespace ChatGateway.Plugins.WebChat;

/// <summary>Pushes replies to the visitor's open tabs. A visitor who is away sees them in the history on return.</summary>
internal sealed class WebChatSender(VisitorConnections connections) : IChannelSender
{
    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var frame = new
        {
            type = "message",
            message = new { messageId = message.MessageId, direction = "out", text = message.Text, agentName = message.AgentName, createdAt = message.CreatedAt },
        };
        var delivered = await connections.SendAsync(message.Recipient.ExternalId, frame, cancellationToken);
        return delivered > 0 ? DeliveryResult.Delivered() : DeliveryResult.Sent();
    }
}

/// <summary>Tells the visitor when an agent joins or the conversation closes.</summary>
internal sealed class WebChatStatusObserver(VisitorConnections connections) : IConversationStatusObserver
{
    public Task OnStatusChangedAsync(ConversationStatusChange change, CancellationToken cancellationToken) =>
        connections.SendAsync(change.Recipient.ExternalId, new { type = "status", status = change.Status, agentName = change.AgentName, conversationId = change.ConversationId }, cancellationToken);
}

/// <summary>Closes visitors' sockets when the gateway stops, so browsers reconnect elsewhere at once.</summary>
internal sealed class WebChatShutdownService(VisitorConnections connections) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => connections.CloseAllAsync(cancellationToken);
}

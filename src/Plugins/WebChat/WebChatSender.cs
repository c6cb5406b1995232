using ChatGateway.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WebChat;

/// <summary>Pushes replies to the visitor's open tabs. A visitor who is away sees them in the history on return.</summary>
internal sealed class WebChatSender(VisitorConnections connections, VisitorFileLinks links) : IChannelSender
{
    public async Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken)
    {
        var frame = new
        {
            type = "message",
            message = new
            {
                messageId = message.MessageId,
                direction = "out",
                text = message.Text,
                agentName = message.AgentName,
                createdAt = message.CreatedAt,
                choices = message.Choices,
                // The files go as links the visitor's page opens through this plugin; the bytes stay in the store.
                attachments = links.ToVisitor(message.Attachments, message.Recipient.ExternalId),
            },
        };
        var delivered = await connections.SendAsync(message.Recipient.ExternalId, frame, cancellationToken);
        return delivered > 0 ? DeliveryResult.Delivered() : DeliveryResult.Sent();
    }
}

/// <summary>
/// When the shop may start a message here (a follow-up, a survey): while the visitor has the chat open on this
/// instance, or within <see cref="WebChatOptions.OutreachWindow"/> (24 h) of their last message, because the widget
/// shows the conversation's messages when they come back to the shop, with an unread badge. After that a visitor
/// is unlikely to return soon, and the gateway takes the buyer's next channel (SMS) instead. The window also covers
/// a visitor connected to another gateway instance, whose connections this one does not see.
/// </summary>
internal sealed class WebChatOutreach(VisitorConnections connections, TimeProvider time, IOptionsMonitor<WebChatOptions> options) : IChannelOutreach
{
    public ValueTask<string?> CannotReachAsync(OutreachRequest request, CancellationToken cancellationToken)
    {
        if (connections.IsConnected(request.Recipient.ExternalId))
        {
            return ValueTask.FromResult<string?>(null);
        }

        var window = options.CurrentValue.OutreachWindow;
        if (request.LastCustomerMessageAt is { } last && time.GetUtcNow() - last <= window)
        {
            return ValueTask.FromResult<string?>(null);
        }

        return ValueTask.FromResult<string?>(window > TimeSpan.Zero
            ? $"webchat: visitor not connected and last wrote more than {window.TotalHours:0.#} h ago"
            : "webchat: visitor not connected");
    }
}

/// <summary>Tells the visitor when an agent joins or the conversation closes.</summary>
internal sealed class WebChatStatusObserver(VisitorConnections connections) : IConversationStatusObserver
{
    public Task OnStatusChangedAsync(ConversationStatusChange change, CancellationToken cancellationToken) =>
        connections.SendAsync(change.Recipient.ExternalId, new
        {
            type = "status",
            status = change.Status,
            agentName = change.AgentName,
            conversationId = change.ConversationId,
            queuePosition = change.QueuePosition,
            estimatedWaitSeconds = change.EstimatedWait is { } wait ? (int?)Math.Round(wait.TotalSeconds) : null,
        }, cancellationToken);
}

/// <summary>
/// Shows the visitor a reply of their conversation that went out on another channel (an agent answered
/// by SMS): the same message frame as a reply sent here, marked with the channel that delivered it.
/// </summary>
internal sealed class WebChatReplyObserver(VisitorConnections connections, VisitorFileLinks links) : IConversationReplyObserver
{
    public Task OnReplySentElsewhereAsync(ConversationReply reply, CancellationToken cancellationToken) =>
        connections.SendAsync(reply.Recipient.ExternalId, new
        {
            type = "message",
            conversationId = reply.ConversationId,
            message = new
            {
                messageId = reply.Message.MessageId,
                direction = "out",
                text = reply.Message.Text,
                agentName = reply.Message.AgentName,
                createdAt = reply.Message.CreatedAt,
                sentVia = reply.Message.SentVia,
                attachments = links.ToVisitor(reply.Message.Attachments, reply.Recipient.ExternalId),
            },
        }, cancellationToken);
}

/// <summary>
/// Closes visitors' sockets as soon as the gateway starts stopping, so browsers reconnect elsewhere at
/// once instead of holding the server's shutdown open until its timeout.
/// </summary>
internal sealed class WebChatShutdownService(VisitorConnections connections, IHostApplicationLifetime? lifetime = null) : IHostedService
{
    private CancellationTokenRegistration _stopping;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (lifetime is not null)
        {
            _stopping = lifetime.ApplicationStopping.Register(() => connections.CloseAllAsync(CancellationToken.None).GetAwaiter().GetResult());
        }

        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.DisposeAsync();
        await connections.CloseAllAsync(cancellationToken);
    }
}

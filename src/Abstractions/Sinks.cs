namespace ChatGateway.Abstractions;

/// <summary>
/// The one way into the gateway for a channel's inbound messages. Each instance's container has its
/// own sink bound to the instance id.
/// </summary>
public interface IInboundSink
{
    /// <summary>
    /// Stores the message (once per provider message id), attaches it to the customer's contact and
    /// open conversation, and hands the conversation to routing. Completes only after the message is
    /// committed, so a channel acknowledges its provider after this returns and never before.
    /// </summary>
    /// <exception cref="InboundRejectedException">The message is not acceptable (empty, too long); nothing was stored.</exception>
    Task<InboundResult> AcceptAsync(InboundMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the messages of one provider request that carries several events, in order, and says what became of each.
    /// A refused message (<see cref="InboundRejectedException"/>) is reported in its item and the others are stored:
    /// acknowledge the request (2xx), since the provider sending it again would be refused again. Any other failure
    /// (the store is down) propagates once the messages before it are stored: answer non-2xx so that the provider sends
    /// the whole request again; the messages stored the first time are then duplicates, stored once.
    /// </summary>
    async Task<IReadOnlyList<InboundBatchItem>> AcceptBatchAsync(IReadOnlyList<InboundMessage> messages, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var items = new InboundBatchItem[messages.Count];
        for (var i = 0; i < messages.Count; i++)
        {
            try
            {
                items[i] = new InboundBatchItem(await AcceptAsync(messages[i], cancellationToken).ConfigureAwait(false), null);
            }
            catch (InboundRejectedException ex)
            {
                items[i] = new InboundBatchItem(null, ex.Message);
            }
        }

        return items;
    }
}

/// <summary>Receives providers' delivery reports for messages sent earlier.</summary>
public interface IDeliveryStatusSink
{
    /// <summary>Records the new status of the message and tells the agent. Unknown ids are ignored and return false.</summary>
    Task<bool> ReportAsync(DeliveryStatusUpdate update, CancellationToken cancellationToken);
}

/// <summary>Reads history for a channel's own customers.</summary>
public interface IConversationHistory
{
    /// <summary>
    /// The latest conversation of the customer with this external id on this instance, or null when
    /// they have none. Only conversations this identity took part in are visible.
    /// </summary>
    Task<ConversationHistory?> GetLatestAsync(string externalId, CancellationToken cancellationToken);

    /// <summary>
    /// A given conversation, but only if the customer with this external id on this instance took part
    /// in it; otherwise null (the caller answers 404, so ids of others cannot be probed).
    /// </summary>
    Task<ConversationHistory?> GetAsync(string externalId, Guid conversationId, CancellationToken cancellationToken);
}

/// <summary>Sends outbound messages over the channel. Every plugin registers one per instance.</summary>
public interface IChannelSender
{
    /// <summary>
    /// Makes one send attempt. Returns the outcome instead of throwing for provider failures; the
    /// gateway retries <see cref="DeliveryOutcome.TransientFailure"/> with backoff.
    /// </summary>
    Task<DeliveryResult> SendAsync(OutboundMessage message, CancellationToken cancellationToken);
}

/// <summary>Optional: tells the gateway's health check whether the instance can work right now.</summary>
public interface IChannelReadiness
{
    /// <summary>Null when ready; otherwise a short reason shown by <c>/healthz</c>.</summary>
    Task<string?> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>Thrown by <see cref="IInboundSink.AcceptAsync"/> when a message is refused; nothing was stored.</summary>
public sealed class InboundRejectedException : Exception
{
    /// <summary>Creates the exception with a reason fit to return to the caller.</summary>
    public InboundRejectedException(string reason) : base(reason) { }
}

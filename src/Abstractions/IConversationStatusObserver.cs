namespace ChatGateway.Abstractions;

/// <summary>A change of a conversation's state that a channel may show its customer.</summary>
/// <param name="ConversationId">The conversation.</param>
/// <param name="Recipient">The customer on this channel.</param>
/// <param name="Status"><c>waiting</c>, <c>assigned</c> or <c>closed</c>.</param>
/// <param name="AgentName">The assigned agent's display name, when assigned.</param>
public sealed record ConversationStatusChange(Guid ConversationId, ChannelRecipient Recipient, string Status, string? AgentName)
{
    /// <summary>When waiting: the customer's place in line, 1 for next.</summary>
    public int? QueuePosition { get; init; }

    /// <summary>When waiting: a rough estimate of the wait, from the line and the agents able to serve it; null when nobody able is online.</summary>
    public TimeSpan? EstimatedWait { get; init; }
}

/// <summary>
/// Optional: a channel with a live connection registers this to be told when the conversation of one
/// of its customers is assigned or closed. The gateway calls it on the instance the customer last wrote through.
/// </summary>
public interface IConversationStatusObserver
{
    /// <summary>Shows the change to the customer if they are connected; never throws for a disconnected customer.</summary>
    Task OnStatusChangedAsync(ConversationStatusChange change, CancellationToken cancellationToken);
}

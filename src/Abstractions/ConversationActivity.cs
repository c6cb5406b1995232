namespace ChatGateway.Abstractions;

/// <summary>
/// Something a person in a conversation does that the other side may see live but that is no message: typing
/// (Bot Framework's <c>typing</c> activity, Chatwoot's <c>typing_on</c>/<c>typing_off</c>) and reading
/// (Chatwoot's <c>conversation.read</c>). Typing is never stored; a read is kept as the conversation's read mark.
/// </summary>
public enum ConversationActivityKind
{
    /// <summary>Started typing (or is still typing: repeated every few seconds while they type).</summary>
    TypingStarted,

    /// <summary>Stopped typing (idle for a while, sent the message, or left). Without it, typing is shown for a few seconds only.</summary>
    TypingStopped,

    /// <summary>Has read the conversation: every message the other side sent up to now.</summary>
    Read,
}

/// <summary>What a channel's customer is doing in their conversation, as the channel's live connection reports it.</summary>
/// <param name="ExternalId">The customer's identity on this channel instance (the sender id of their messages).</param>
/// <param name="Kind">Typing started or stopped, or read.</param>
public sealed record CustomerActivity(string ExternalId, ConversationActivityKind Kind)
{
    /// <summary>
    /// The conversation it concerns, as the channel knows it (the web chat's history names it); null: the customer's
    /// open conversation. A conversation the customer took no part in is refused (see <see cref="ICustomerActivitySink.ReportAsync"/>).
    /// </summary>
    public Guid? ConversationId { get; init; }
}

/// <summary>
/// Optional, for channels with a live connection: where a channel reports what its customers do in their conversation,
/// so the agent who has it sees it live (typing, read). The gateway provides it to every instance's container, bound
/// to the instance id, like <see cref="IInboundSink"/>. Nothing here is a message: typing is passed on and forgotten,
/// a read sets the conversation's customer read mark (one row, not one per message).
/// </summary>
public interface ICustomerActivitySink
{
    /// <summary>
    /// Passes the activity on to the agent who has the conversation, on whichever gateway instance their desk is
    /// connected. Returns false when the customer has no such conversation on this instance (nothing happened;
    /// a channel answering a request then says 404); true otherwise, also when no agent has it yet. Channels
    /// should limit how often a customer may report (a few times a second at most): the gateway reads the store
    /// for each report.
    /// </summary>
    Task<bool> ReportAsync(CustomerActivity activity, CancellationToken cancellationToken);
}

/// <summary>What the agent who has a conversation is doing, for a channel to show its customer.</summary>
/// <param name="ConversationId">The conversation.</param>
/// <param name="Recipient">The customer on this channel: where the conversation's customer last wrote from.</param>
/// <param name="Kind">Typing started or stopped, or read.</param>
public sealed record AgentActivity(Guid ConversationId, ChannelRecipient Recipient, ConversationActivityKind Kind)
{
    /// <summary>When <see cref="ConversationActivityKind.Read"/>: the agent has read every customer message created up to this time.</summary>
    public DateTimeOffset? ReadUpTo { get; init; }
}

/// <summary>
/// Optional: a channel with a live connection registers this to show its customers that the agent is typing, or has
/// read their messages ("Read" under them). The gateway calls it on every gateway instance, for the conversation's
/// customer where they last wrote from; a channel shows it to that customer if they are connected to this instance.
/// </summary>
public interface IConversationActivityObserver
{
    /// <summary>Shows the activity to the customer if they are connected here; never throws for a disconnected customer.</summary>
    Task OnAgentActivityAsync(AgentActivity activity, CancellationToken cancellationToken);
}

namespace ChatGateway.Abstractions;

/// <summary>A reply in a conversation that went out on another channel than the one being told.</summary>
/// <param name="ConversationId">The conversation.</param>
/// <param name="Recipient">The customer on this channel: an identity that took part in the conversation.</param>
/// <param name="Message">The reply, with <see cref="HistoryMessage.SentVia"/> naming the channel it went out on.</param>
public sealed record ConversationReply(Guid ConversationId, ChannelRecipient Recipient, HistoryMessage Message);

/// <summary>
/// Optional: a channel with a live connection registers this to show its customers the replies of their
/// conversation that another channel delivered (an agent answered by SMS while the web chat is open). The
/// gateway calls it on every gateway instance once such a reply was sent, only for identities on this
/// instance that took part in the conversation; never for anyone else.
/// </summary>
public interface IConversationReplyObserver
{
    /// <summary>Shows the reply to the customer if they are connected here; never throws for a disconnected customer.</summary>
    Task OnReplySentElsewhereAsync(ConversationReply reply, CancellationToken cancellationToken);
}

namespace ChatGateway.Abstractions;

/// <summary>A message the gateway would start on a channel, not in answer to the customer (a follow-up).</summary>
/// <param name="Recipient">Who it would go to on this channel.</param>
/// <param name="LastCustomerMessageAt">When this customer last wrote on this channel instance; null if never.</param>
/// <param name="Transactional">
/// True for a notice about the customer's own order or conversation (shipping, a payment reminder, a promised
/// callback); false for marketing (a review request, a greeting).
/// </param>
public sealed record OutreachRequest(ChannelRecipient Recipient, DateTimeOffset? LastCustomerMessageAt, bool Transactional)
{
    /// <summary>
    /// The follow-up's kind, as it will reach the sender in <see cref="OutboundMessage.FollowUpKind"/>
    /// (<c>payment-reminder</c>, <c>review-request</c>, …): a channel that starts conversations only with a template
    /// configured per kind answers for this one. Null when the gateway does not say.
    /// </summary>
    public string? FollowUpKind { get; init; }
}

/// <summary>
/// Optional, for a channel that declares <see cref="ChannelCapabilities.StartConversation"/> under conditions: a
/// platform that allows messages only within a window after the customer's last message, or a live channel that
/// reaches a customer only while they are connected. The gateway asks before it starts a message here and takes
/// the buyer's next channel when the answer is no (or skips the follow-up, recording the reason).
/// </summary>
public interface IChannelOutreach
{
    /// <summary>Null when the message can be sent now; otherwise a short reason (no secrets, no personal data).</summary>
    ValueTask<string?> CannotReachAsync(OutreachRequest request, CancellationToken cancellationToken);
}

using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// Records the customer activity (typing, read) a channel passes on, answering as the gateway does: a customer is known
/// once the channel passed on a message of theirs (through <paramref name="inbound"/>); a named conversation must be one
/// the test gave them in <see cref="Conversations"/>. Anything else answers false and is not recorded.
/// </summary>
public sealed class RecordingCustomerActivitySink(RecordingInboundSink inbound) : ICustomerActivitySink
{
    private readonly ConcurrentQueue<CustomerActivity> _activities = new();

    /// <summary>What was passed on and accepted, in order.</summary>
    public IReadOnlyList<CustomerActivity> Activities => [.. _activities];

    /// <summary>Conversations of customers: id to the customer's external id.</summary>
    public ConcurrentDictionary<Guid, string> Conversations { get; } = new();

    public Task<bool> ReportAsync(CustomerActivity activity, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(activity);
        var theirs = activity.ConversationId is { } id
            ? Conversations.TryGetValue(id, out var owner) && owner == activity.ExternalId
            : inbound.Accepted.Any(m => m.Sender.ExternalId == activity.ExternalId);
        if (theirs)
        {
            _activities.Enqueue(activity);
        }

        return Task.FromResult(theirs);
    }
}

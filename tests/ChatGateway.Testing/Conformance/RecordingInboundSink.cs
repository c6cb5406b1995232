using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>Records what a channel hands the gateway; can be told to refuse messages, or to store each provider id once as the gateway does.</summary>
public sealed class RecordingInboundSink : IInboundSink
{
    private readonly ConcurrentQueue<InboundMessage> _accepted = new();
    private readonly ConcurrentQueue<InboundMessage> _received = new();
    private readonly Dictionary<string, InboundResult> _byProviderId = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private int _calls;

    public IReadOnlyList<InboundMessage> Accepted => [.. _accepted];

    /// <summary>Every message handed to AcceptAsync, in order: duplicates, refused ones and failed ones included.</summary>
    public IReadOnlyList<InboundMessage> Received => [.. _received];

    /// <summary>
    /// When set, awaited at the start of every AcceptAsync (after the call is counted and before anything is stored): hold
    /// it to play a slow store, throw from it to play a store that is down.
    /// </summary>
    public Func<InboundMessage, CancellationToken, Task>? BeforeAccept { get; set; }

    /// <summary>When set, every message is refused with this reason, as the gateway refuses an unacceptable one.</summary>
    public string? RejectWith { get; set; }

    /// <summary>
    /// When set, refuses a message whose <see cref="InboundMessage.ProviderMessageId"/> this returns a reason for (a
    /// reason fit for the sender), as the gateway refuses one too long or empty.
    /// </summary>
    public Func<InboundMessage, string?>? RejectWhen { get; set; }

    /// <summary>
    /// When true, a provider message id seen before is answered as a duplicate and not recorded again, as the gateway
    /// stores a message once per (instance, provider id).
    /// </summary>
    public bool Deduplicate { get; set; }

    /// <summary>How often AcceptAsync was called (duplicates and refusals included).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public async Task<InboundResult> AcceptAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        Interlocked.Increment(ref _calls);
        _received.Enqueue(message);
        if (BeforeAccept is { } before)
        {
            await before(message, cancellationToken);
        }

        return Store(message);
    }

    private InboundResult Store(InboundMessage message)
    {
        if ((RejectWith ?? RejectWhen?.Invoke(message)) is { } reason)
        {
            throw new InboundRejectedException(reason);
        }

        if (Deduplicate)
        {
            lock (_gate)
            {
                if (_byProviderId.TryGetValue(message.ProviderMessageId, out var stored))
                {
                    return stored with { Duplicate = true };
                }

                var result = new InboundResult(Guid.NewGuid(), Guid.NewGuid(), Duplicate: false);
                _byProviderId[message.ProviderMessageId] = result;
                _accepted.Enqueue(message);
                return result;
            }
        }

        _accepted.Enqueue(message);
        return new InboundResult(Guid.NewGuid(), Guid.NewGuid(), Duplicate: false);
    }
}

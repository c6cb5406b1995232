using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>Records what a channel hands the gateway; can be told to refuse messages.</summary>
public sealed class RecordingInboundSink : IInboundSink
{
    private readonly ConcurrentQueue<InboundMessage> _accepted = new();

    public IReadOnlyList<InboundMessage> Accepted => [.. _accepted];

    /// <summary>When set, every message is refused with this reason, as the gateway refuses an unacceptable one.</summary>
    public string? RejectWith { get; set; }

    public Task<InboundResult> AcceptAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (RejectWith is not null)
        {
            throw new InboundRejectedException(RejectWith);
        }

        _accepted.Enqueue(message);
        return Task.FromResult(new InboundResult(Guid.NewGuid(), Guid.NewGuid(), Duplicate: false));
    }
}

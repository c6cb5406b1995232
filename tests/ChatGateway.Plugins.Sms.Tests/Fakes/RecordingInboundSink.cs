using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.Sms.Tests.Fakes;

/// <summary>Records accepted messages; can be told to reject, to report duplicates, or to hold the commit.</summary>
internal sealed class RecordingInboundSink : IInboundSink
{
    private readonly ConcurrentQueue<InboundMessage> _accepted = new();

    public IReadOnlyList<InboundMessage> Accepted => [.. _accepted];

    public string? RejectWith { get; set; }

    public bool ReportDuplicate { get; set; }

    /// <summary>When set, AcceptAsync does not return until this completes (a slow commit).</summary>
    public TaskCompletionSource? Commit { get; set; }

    public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task<InboundResult> AcceptAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        Entered.TrySetResult();
        if (RejectWith is not null)
        {
            throw new InboundRejectedException(RejectWith);
        }

        if (Commit is not null)
        {
            await Commit.Task.WaitAsync(cancellationToken);
        }

        _accepted.Enqueue(message);
        return new InboundResult(Guid.NewGuid(), Guid.NewGuid(), ReportDuplicate);
    }
}

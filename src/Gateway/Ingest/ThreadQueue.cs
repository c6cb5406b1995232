using System.Threading.Channels;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// A channel between asynchronous producers and one dedicated consumer thread (the inbound writer, the log
/// syncer) that blocks without spinning while the channel is empty.
/// </summary>
/// <remarks>
/// Waiting through <c>WaitToReadAsync().AsTask().Wait()</c> spun with <c>sched_yield</c> before it slept and was
/// woken through a thread-pool work item: together with the pool's own spinning about three system calls per
/// inbound message on two busy cores. Here a producer wakes the consumer itself, once, and only if it sleeps.
/// </remarks>
internal sealed class ThreadQueue<T>(Channel<T> channel)
{
    private readonly ManualResetEventSlim _signal = new(initialState: false, spinCount: 0);

    /// <summary>Queues the item, waiting for room if the channel is bounded and full.</summary>
    public async ValueTask WriteAsync(T item, CancellationToken cancellationToken)
    {
        await channel.Writer.WriteAsync(item, cancellationToken);
        _signal.Set();
    }

    public bool TryWrite(T item)
    {
        if (!channel.Writer.TryWrite(item))
        {
            return false;
        }

        _signal.Set();
        return true;
    }

    /// <summary>No more items: the consumer reads what is queued, then <see cref="WaitToRead"/> returns false.</summary>
    public void Complete()
    {
        channel.Writer.TryComplete();
        _signal.Set();
    }

    public bool TryRead(out T item) => channel.Reader.TryRead(out item!);

    /// <summary>Blocks the consumer until an item is queued (true), or the queue is completed and empty (false).</summary>
    public bool WaitToRead()
    {
        while (true)
        {
            // Reset before looking: an item written after the look sets the signal after the reset.
            _signal.Reset();
            if (channel.Reader.TryPeek(out _))
            {
                return true;
            }

            if (channel.Reader.Completion.IsCompleted)
            {
                return false;
            }

            _signal.Wait();
        }
    }
}

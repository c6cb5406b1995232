namespace ChatGateway.Gateway.Store;

/// <summary>
/// What the gateway's own writes say about the store: the inbound writer (and other writers) report each
/// commit's outcome here, and readiness (<c>/healthz/ready</c>) reads it, so a store that refuses writes (disk
/// full, PostgreSQL read-only or gone) takes the instance out of the load balancer.
/// </summary>
internal sealed class StoreHealth(TimeProvider time)
{
    private long _lastSuccessTicks;
    private long _lastFailureTicks;
    private string? _lastFailure;
    private string? _lastFailureKind;

    public DateTimeOffset? LastSuccess => Read(ref _lastSuccessTicks);

    public DateTimeOffset? LastFailure => Read(ref _lastFailureTicks);

    /// <summary>The reason of the last failed write (an exception's type and message, never data).</summary>
    public string? LastFailureReason => Volatile.Read(ref _lastFailure);

    /// <summary>The exception type of the last failed write: what readiness shows anyone who asks, without the details.</summary>
    public string? LastFailureKind => Volatile.Read(ref _lastFailureKind);

    /// <summary>Whether the newest write outcome is a failure.</summary>
    public bool Failing => Interlocked.Read(ref _lastFailureTicks) > Interlocked.Read(ref _lastSuccessTicks);

    public void WriteSucceeded() => Interlocked.Exchange(ref _lastSuccessTicks, time.GetUtcNow().UtcTicks);

    public void WriteFailed(Exception exception)
    {
        Volatile.Write(ref _lastFailure, $"{exception.GetType().Name}: {exception.Message}");
        Volatile.Write(ref _lastFailureKind, exception.GetType().Name);
        Interlocked.Exchange(ref _lastFailureTicks, time.GetUtcNow().UtcTicks);
    }

    private static DateTimeOffset? Read(ref long ticks)
    {
        var value = Interlocked.Read(ref ticks);
        return value == 0 ? null : new DateTimeOffset(value, TimeSpan.Zero);
    }
}

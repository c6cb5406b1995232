namespace ChatGateway.Abstractions;

/// <summary>
/// A small durable key/value store of one channel instance, shared by every gateway instance on the same store and kept
/// across restarts: an IMAP folder's UID cursor, a long-polling offset, a provider's token and its expiry. Values are
/// short strings (at most 4,000 characters); keys at most 200 characters.
/// </summary>
public interface IChannelState
{
    /// <summary>The value, or null when none was set.</summary>
    Task<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Sets the value (null removes it).</summary>
    Task SetAsync(string key, string? value, CancellationToken cancellationToken);

    /// <summary>
    /// Sets the value only if it is still <paramref name="expected"/> (null: only if none is set), so that two gateway
    /// instances never both move a cursor from the same place. False, and nothing changed, when it was not.
    /// </summary>
    Task<bool> CompareAndSetAsync(string key, string? expected, string? value, CancellationToken cancellationToken);
}

/// <summary>
/// Leases among the gateway instances of a cluster, per channel instance: only the holder of a lease polls a mailbox
/// or refreshes a token. A lease is held for its duration and renewed by its holder; when the holder stops or dies,
/// another instance takes it once it runs out.
/// </summary>
public interface IChannelLeases
{
    /// <summary>Takes the lease named <paramref name="name"/> for <paramref name="duration"/>, or returns null when another gateway instance holds it.</summary>
    Task<IChannelLease?> TryAcquireAsync(string name, TimeSpan duration, CancellationToken cancellationToken);
}

/// <summary>A lease held by this gateway instance (see <see cref="IChannelLeases"/>). Disposing it gives it up at once.</summary>
public interface IChannelLease : IAsyncDisposable
{
    /// <summary>The lease's name.</summary>
    string Name { get; }

    /// <summary>Until when it is held, as last taken or renewed.</summary>
    DateTimeOffset ExpiresAt { get; }

    /// <summary>Holds it for another duration from now. False when it was lost (it ran out and another instance took it): stop the work it guards.</summary>
    Task<bool> RenewAsync(CancellationToken cancellationToken);
}

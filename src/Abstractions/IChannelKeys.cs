namespace ChatGateway.Abstractions;

/// <summary>
/// Secret keys the gateway keeps for a channel instance, e.g. to sign the tokens it issues to customers.
/// Provided by the gateway in each instance's container.
/// </summary>
public interface IChannelKeys
{
    /// <summary>
    /// A 256-bit key for this instance and <paramref name="purpose"/>: the same on every gateway instance
    /// sharing the store and across restarts, different for every other instance or purpose. Cheap after
    /// the first call for a purpose; keep the bytes secret (never log or send them).
    /// </summary>
    /// <param name="purpose">What the key is for, e.g. <c>visitor-tokens</c>.</param>
    byte[] GetKey(string purpose);
}

using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WebChat;

/// <summary>
/// Per client address limits on what a flood could pile up: new visitors, first messages (a visitor's
/// first message opens their conversation), messages and uploaded files. A flood from one address gets 429 with
/// Retry-After; every other address is served as before. Windows of one minute.
/// </summary>
internal sealed class FloodLimits : IDisposable
{
    /// <summary>Visitors whose first message this process has seen; cleared when it grows this large.</summary>
    private const int MaxRemembered = 200_000;

    private readonly PartitionedRateLimiter<IPAddress>? _visitors;
    private readonly PartitionedRateLimiter<IPAddress>? _conversations;
    private readonly PartitionedRateLimiter<IPAddress>? _messages;
    private readonly PartitionedRateLimiter<IPAddress>? _uploads;
    private readonly ConcurrentDictionary<string, byte> _seen = new(StringComparer.Ordinal);

    public FloodLimits(IOptions<WebChatOptions> options)
    {
        var limits = options.Value.Limits;
        _visitors = Create(limits.VisitorsPerMinute);
        _conversations = Create(limits.NewConversationsPerMinute);
        _messages = Create(limits.MessagesPerMinute);
        _uploads = Create(limits.UploadsPerMinute);
    }

    /// <summary>Null when the address may create a visitor; otherwise how long it should wait.</summary>
    public TimeSpan? Visitor(IPAddress? address) => Acquire(_visitors, address);

    /// <summary>Null when the address may upload a file; otherwise how long it should wait.</summary>
    public TimeSpan? Upload(IPAddress? address) => Acquire(_uploads, address);

    /// <summary>Null when the address may send this message (a visitor's first one also counts as a new conversation).</summary>
    public TimeSpan? Message(IPAddress? address, string visitorId)
    {
        if (Acquire(_messages, address) is { } wait)
        {
            return wait;
        }

        if (_conversations is null || _seen.ContainsKey(visitorId))
        {
            return null;
        }

        if (Acquire(_conversations, address) is { } conversationWait)
        {
            return conversationWait;
        }

        if (_seen.Count >= MaxRemembered)
        {
            _seen.Clear();
        }

        _seen.TryAdd(visitorId, 0);
        return null;
    }

    public static string RetryAfter(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);

    public void Dispose()
    {
        _visitors?.Dispose();
        _conversations?.Dispose();
        _messages?.Dispose();
        _uploads?.Dispose();
    }

    private static TimeSpan? Acquire(PartitionedRateLimiter<IPAddress>? limiter, IPAddress? address)
    {
        if (limiter is null)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire(Client(address));
        if (lease.IsAcquired)
        {
            return null;
        }

        return lease.TryGetMetadata(MetadataName.RetryAfter, out var wait) ? wait : TimeSpan.FromMinutes(1);
    }

    /// <summary>The client an address stands for: an IPv4 address, or an IPv6 /64 (one subscriber's block).</summary>
    private static IPAddress Client(IPAddress? address)
    {
        if (address is null)
        {
            return IPAddress.None;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
        {
            return address;
        }

        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    private static PartitionedRateLimiter<IPAddress>? Create(int perMinute) => perMinute <= 0
        ? null
        : PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = perMinute,
            Window = TimeSpan.FromMinutes(1),
            QueueLimit = 0,
            AutoReplenishment = true,
        }));
}

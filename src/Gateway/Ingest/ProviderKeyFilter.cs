namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// A Bloom filter of the provider keys (<see cref="Store.Message.KeyOf"/>) of every stored message, so
/// that the inbound writer recognises a new message as new without a store-wide index of random keys and
/// without reading a customer's history: "not in the filter" is certain, and only a key the filter may
/// hold (a redelivery, or about one new message in 100,000) costs a look among the sender's messages.
/// </summary>
/// <remarks>
/// It forgets nothing, so nothing it answers depends on which customers were active lately (the per-contact
/// key sets it replaces were evicted least recently used first, and once the active customers' keys passed
/// their bound every message re-read its sender's whole history: ingest fell from 16k to 6k messages a
/// second as the store grew past 500,000 messages). About 24 bits a key: a store of 10 million messages
/// takes 30 MB. It grows by segments, each twice the last, so it never has to be rebuilt; an answer checks
/// every segment, and each keeps its false positives near 0.001% when full (a new key's answer usually
/// stops at its second probe). That look walks the sender's customer messages one by one along their
/// conversations' chains (thousands of seeks for a busy customer, on the writer's thread, while every other
/// message waits), so false positives are kept to about one in 100,000: at 1% or even 0.05% the walks cost
/// more than the probes saved (bench/README.md has the figures). Keys of messages that were rolled
/// back, or of outbound messages, are harmless: they only send a lookup to the store. Used by the writer's
/// thread only.
/// </remarks>
internal sealed class ProviderKeyFilter
{
    private const int BitsPerKey = 24;
    private const int Probes = 16;
    private const long MinimumCapacity = 1 << 16;

    private readonly List<Segment> _segments = [];

    public ProviderKeyFilter(long expectedKeys = 0) => _segments.Add(new Segment(Math.Max(MinimumCapacity, expectedKeys * 2)));

    /// <summary>Keys added (a key added twice counts twice).</summary>
    public long Count { get; private set; }

    /// <summary>Memory the filter's bits take.</summary>
    public long Bytes => _segments.Sum(s => s.Bits.LongLength * sizeof(ulong));

    public void Add(long key)
    {
        var last = _segments[^1];
        if (last.Count >= last.Capacity)
        {
            last = new Segment(last.Capacity * 2);
            _segments.Add(last);
        }

        last.Add(key);
        Count++;
    }

    /// <summary>False only when the key was never added.</summary>
    public bool MayContain(long key)
    {
        foreach (var segment in _segments)
        {
            if (segment.MayContain(key))
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Segment
    {
        private readonly ulong _mask;

        public Segment(long capacity)
        {
            Capacity = capacity;
            // A power of two of bits, at least BitsPerKey per key of the capacity.
            var bits = 64L;
            while (bits < capacity * BitsPerKey)
            {
                bits <<= 1;
            }

            Bits = new ulong[bits / 64];
            _mask = (ulong)bits - 1;
        }

        public long Capacity { get; }

        public long Count { get; private set; }

        public ulong[] Bits { get; }

        public void Add(long key)
        {
            // The key is 64 bits of SHA-256: its halves are two independent hashes (double hashing).
            var (h1, h2) = Hashes(key);
            for (var i = 0UL; i < Probes; i++)
            {
                var bit = (h1 + (i * h2)) & _mask;
                Bits[bit >> 6] |= 1UL << (int)(bit & 63);
            }

            Count++;
        }

        public bool MayContain(long key)
        {
            var (h1, h2) = Hashes(key);
            for (var i = 0UL; i < Probes; i++)
            {
                var bit = (h1 + (i * h2)) & _mask;
                if ((Bits[bit >> 6] & (1UL << (int)(bit & 63))) == 0)
                {
                    return false;
                }
            }

            return true;
        }

        // An odd step visits every bit of a power-of-two array before repeating one.
        private static (ulong, ulong) Hashes(long key) => ((uint)key, ((ulong)key >> 32) | 1);
    }
}

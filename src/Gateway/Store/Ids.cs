using System.Buffers.Binary;
using System.Security.Cryptography;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// Time-ordered row ids (UUID version 7, as <see cref="Guid.CreateVersion7(DateTimeOffset)"/> makes them).
/// On Linux the runtime reads 16 bytes from /dev/urandom for every <see cref="Guid"/> it makes: one system
/// call per id, several per inbound message on the writer's thread. These take their random bits from a
/// per-thread buffer that the cryptographic generator refills a few hundred ids at a time.
/// </summary>
internal static class Ids
{
    private const int BufferSize = 4096;

    [ThreadStatic]
    private static byte[]? t_random;

    [ThreadStatic]
    private static int t_used;

    public static Guid NewVersion7(DateTimeOffset at)
    {
        var milliseconds = at.ToUnixTimeMilliseconds();
        ArgumentOutOfRangeException.ThrowIfNegative(milliseconds, nameof(at));
        var random = Take(10);
        return new Guid(
            (int)(milliseconds >> 16),
            (short)milliseconds,
            (short)((BinaryPrimitives.ReadUInt16LittleEndian(random) & 0x0FFF) | 0x7000), // version 7
            (byte)((random[2] & 0x3F) | 0x80), // variant 10xx
            random[3], random[4], random[5], random[6], random[7], random[8], random[9]);
    }

    private static ReadOnlySpan<byte> Take(int count)
    {
        var buffer = t_random;
        if (buffer is null || t_used + count > BufferSize)
        {
            buffer = t_random ??= new byte[BufferSize];
            RandomNumberGenerator.Fill(buffer);
            t_used = 0;
        }

        var taken = buffer.AsSpan(t_used, count);
        t_used += count;
        return taken;
    }
}

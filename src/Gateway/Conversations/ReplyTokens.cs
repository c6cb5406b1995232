using System.Security.Cryptography;
using ChatGateway.Gateway.Plugins;

namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// Tokens that name a conversation (<see cref="Abstractions.OutboundMessage.ReplyToken"/>): its id and a MAC of it under
/// a key of the gateway's, in lower-case base32 so that it survives mail servers that change the case of an address
/// (<c>shop+TOKEN@example.com</c> holds 8 + 42 characters, within the 64 of a local part). A token the gateway did not
/// issue names nothing.
/// </summary>
internal sealed class ReplyTokens(GatewayKeyRing keys)
{
    private const int MacLength = 10;
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private byte[]? _key;

    public string For(Guid conversationId)
    {
        Span<byte> bytes = stackalloc byte[16 + MacLength];
        conversationId.TryWriteBytes(bytes);
        Mac(bytes[..16], bytes[16..]);
        return Base32(bytes);
    }

    public Guid? Read(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length != 42)
        {
            return null;
        }

        Span<byte> bytes = stackalloc byte[16 + MacLength];
        if (!FromBase32(token.ToLowerInvariant(), bytes))
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[MacLength];
        Mac(bytes[..16], expected);
        return CryptographicOperations.FixedTimeEquals(expected, bytes[16..]) ? new Guid(bytes[..16]) : null;
    }

    private void Mac(ReadOnlySpan<byte> id, Span<byte> into)
    {
        Span<byte> full = stackalloc byte[32];
        // An empty instance id: no channel instance has it, so no channel's key is this one.
        _key ??= keys.Derive("", "reply-tokens");
        HMACSHA256.HashData(_key, id, full);
        full[..into.Length].CopyTo(into);
    }

    private static string Base32(ReadOnlySpan<byte> data)
    {
        var chars = new char[(data.Length * 8 + 4) / 5];
        int buffer = 0, bits = 0, at = 0;
        foreach (var b in data)
        {
            buffer = (buffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[at++] = Alphabet[(buffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }

        if (bits > 0)
        {
            chars[at++] = Alphabet[(buffer << (5 - bits)) & 31];
        }

        return new string(chars, 0, at);
    }

    private static bool FromBase32(string text, Span<byte> into)
    {
        int buffer = 0, bits = 0, at = 0;
        foreach (var c in text)
        {
            var value = Alphabet.IndexOf(c);
            if (value < 0)
            {
                return false;
            }

            buffer = (buffer << 5) | value;
            bits += 5;
            if (bits >= 8)
            {
                if (at == into.Length)
                {
                    return false;
                }

                into[at++] = (byte)(buffer >> (bits - 8));
                bits -= 8;
            }
        }

        // The last letter's spare bits are zero in a token the gateway made: any other letter there is another token.
        return at == into.Length && (buffer & ((1 << bits) - 1)) == 0;
    }
}

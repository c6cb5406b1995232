using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.WeChat.Webhooks;

/// <summary>
/// Safe mode (安全模式): AES-256-CBC, key = Base64(EncodingAESKey + "="), IV = the key's first 16 bytes, PKCS#7 padded to
/// 32-byte blocks (not AES's 16, hence PaddingMode.None and our own padding). The plaintext is 16 random bytes, the XML's
/// length as 4 big-endian bytes, the XML, then the AppId.
/// </summary>
internal static class WeChatCrypto
{
    private const int BlockSize = 32;

    public static byte[]? KeyFrom(string encodingAesKey)
    {
        var key = new byte[33];
        return Convert.TryFromBase64String(encodingAesKey + "=", key, out var written) && written == 32 ? key[..32] : null;
    }

    /// <summary>The XML inside <paramref name="encrypted"/>, or null and why when it cannot be read or is for another AppId.</summary>
    public static (byte[]? Xml, string? Error) Decrypt(string encodingAesKey, string appId, string encrypted)
    {
        var key = KeyFrom(encodingAesKey);
        if (key is null)
        {
            return (null, "EncodingAESKey is not a valid key");
        }

        byte[] cipher;
        try
        {
            cipher = Convert.FromBase64String(encrypted);
        }
        catch (FormatException)
        {
            return (null, "Encrypt is not base64");
        }

        if (cipher.Length == 0 || cipher.Length % 16 != 0)
        {
            return (null, "Encrypt has a bad length");
        }

        using var aes = Aes.Create();
        aes.Key = key;
        var plain = aes.DecryptCbc(cipher, key.AsSpan(0, 16), PaddingMode.None);
        var pad = plain[^1];
        if (pad < 1 || pad > BlockSize || pad > plain.Length)
        {
            return (null, "Encrypt has bad padding");
        }

        var content = plain.AsSpan(0, plain.Length - pad);
        if (content.Length < 20)
        {
            return (null, "Encrypt is too short");
        }

        var length = BinaryPrimitives.ReadInt32BigEndian(content.Slice(16, 4));
        if (length < 0 || length > content.Length - 20)
        {
            return (null, "Encrypt has a bad length");
        }

        var xml = content.Slice(20, length).ToArray();
        var from = content[(20 + length)..];
        return CryptographicOperations.FixedTimeEquals(from, Encoding.UTF8.GetBytes(appId))
            ? (xml, null)
            : (null, "the message is for another AppId");
    }

    /// <summary>Encrypts as WeChat does (for replies in safe mode and for tests).</summary>
    public static string Encrypt(string encodingAesKey, string appId, byte[] xml)
    {
        var key = KeyFrom(encodingAesKey) ?? throw new ArgumentException("not a valid EncodingAESKey", nameof(encodingAesKey));
        var app = Encoding.UTF8.GetBytes(appId);
        var length = 20 + xml.Length + app.Length;
        var pad = BlockSize - (length % BlockSize);
        var plain = new byte[length + pad];
        RandomNumberGenerator.Fill(plain.AsSpan(0, 16));
        BinaryPrimitives.WriteInt32BigEndian(plain.AsSpan(16, 4), xml.Length);
        xml.CopyTo(plain, 20);
        app.CopyTo(plain, 20 + xml.Length);
        plain.AsSpan(length).Fill((byte)pad);
        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, key.AsSpan(0, 16), PaddingMode.None));
    }
}

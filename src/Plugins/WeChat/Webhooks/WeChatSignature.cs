using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.WeChat.Webhooks;

/// <summary>
/// WeChat's webhook signature: the lower-case SHA1 hex of the parts (token, timestamp, nonce, and in safe mode the
/// Encrypt element) sorted ordinally and concatenated. It is sent in the query string, not a header.
/// </summary>
internal static class WeChatSignature
{
    public static string Compute(params string[] parts)
    {
        var sorted = parts.ToArray();
        Array.Sort(sorted, StringComparer.Ordinal);
        return Convert.ToHexStringLower(SHA1.HashData(Encoding.UTF8.GetBytes(string.Concat(sorted))));
    }

    /// <summary>True when <paramref name="signature"/> is the parts'; compared in constant time.</summary>
    public static bool IsValid(string? signature, params string[] parts)
    {
        if (string.IsNullOrEmpty(signature) || signature.Length != SHA1.HashSizeInBytes * 2)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(Compute(parts)), Encoding.ASCII.GetBytes(signature.ToLowerInvariant()));
    }
}

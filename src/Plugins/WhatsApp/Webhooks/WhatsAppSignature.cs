using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.WhatsApp.Webhooks;

/// <summary>
/// WhatsApp signs each webhook body with HMAC-SHA256 keyed by the channel secret and sends it base64-encoded in
/// <c>X-WhatsApp-Signature</c>.
/// </summary>
internal static class WhatsAppSignature
{
    public const string HeaderName = "X-WhatsApp-Signature";

    public static string Compute(string channelSecret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(channelSecret), body));

    /// <summary>True when <paramref name="signature"/> is the body's; compared in constant time.</summary>
    public static bool IsValid(string channelSecret, ReadOnlySpan<byte> body, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        Span<byte> given = stackalloc byte[HMACSHA256.HashSizeInBytes];
        if (!Convert.TryFromBase64String(signature, given, out var written) || written != HMACSHA256.HashSizeInBytes)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(channelSecret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}

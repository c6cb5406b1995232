using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.WhatsApp.Webhooks;

/// <summary>
/// Meta signs each webhook body with HMAC-SHA256 keyed by the app secret and sends <c>sha256=</c> and the lowercase hex
/// digest in <c>X-Hub-Signature-256</c>.
/// </summary>
internal static class WhatsAppSignature
{
    public const string HeaderName = "X-Hub-Signature-256";

    private const string Prefix = "sha256=";

    public static string Compute(string appSecret, ReadOnlySpan<byte> body) =>
        Prefix + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body));

    /// <summary>True when <paramref name="signature"/> is the body's; compared in constant time.</summary>
    public static bool IsValid(string appSecret, ReadOnlySpan<byte> body, string? signature)
    {
        if (string.IsNullOrEmpty(signature) || !signature.StartsWith(Prefix, StringComparison.Ordinal)
            || signature.Length != Prefix.Length + (2 * HMACSHA256.HashSizeInBytes))
        {
            return false;
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(signature.AsSpan(Prefix.Length));
        }
        catch (FormatException)
        {
            return false;
        }

        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(Encoding.UTF8.GetBytes(appSecret), body, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}

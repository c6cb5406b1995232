using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.ShopOrders;

/// <summary>
/// Standard Webhooks signatures (https://www.standardwebhooks.com): <c>webhook-signature</c> is a space-separated list of
/// <c>v1,&lt;base64 HMAC-SHA256 of "{webhook-id}.{webhook-timestamp}.{body}"&gt;</c> keyed with the bytes of the
/// <c>whsec_</c> secret; any one matching (compared in constant time) verifies the body.
/// </summary>
internal static class StandardWebhooks
{
    private const string Prefix = "whsec_";

    /// <summary>The key bytes of a <c>whsec_</c> secret, or null when it is not one.</summary>
    public static byte[]? SecretBytes(string secret)
    {
        if (!secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        try
        {
            var bytes = Convert.FromBase64String(secret[Prefix.Length..]);
            return bytes.Length >= 24 ? bytes : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    public static string Sign(byte[] key, string id, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{id}.{timestamp}."));
        var content = new byte[prefix.Length + body.Length];
        prefix.CopyTo(content, 0);
        body.CopyTo(content.AsSpan(prefix.Length));
        return "v1," + Convert.ToBase64String(HMACSHA256.HashData(key, content));
    }

    /// <summary>Null when the headers verify the body now; otherwise why not (no secret material in it).</summary>
    public static string? Verify(byte[] key, string? id, string? timestamp, string? signatures, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan tolerance)
    {
        if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signatures))
        {
            return "webhook-id, webhook-timestamp and webhook-signature headers are required";
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return "webhook-timestamp must be Unix seconds";
        }

        var sent = DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        if (sent < now - tolerance)
        {
            return "webhook-timestamp is too old (a replay, or the sender's clock is behind)";
        }

        if (sent > now + tolerance)
        {
            return "webhook-timestamp is in the future (the sender's clock is ahead)";
        }

        var expected = Encoding.ASCII.GetBytes(Sign(key, id, seconds, body));
        foreach (var candidate in signatures.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (candidate.StartsWith("v1,", StringComparison.Ordinal)
                && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(candidate), expected))
            {
                return null;
            }
        }

        return "webhook-signature does not match the body";
    }
}

/// <summary>Shopify's webhook signature: <c>X-Shopify-Hmac-Sha256</c> = base64 HMAC-SHA256 of the raw body with the app's secret.</summary>
internal static class ShopifySignature
{
    public static string Sign(string secret, ReadOnlySpan<byte> body) =>
        Convert.ToBase64String(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static string? Verify(string secret, string? header, ReadOnlySpan<byte> body)
    {
        if (string.IsNullOrEmpty(header))
        {
            return "X-Shopify-Hmac-Sha256 header is required";
        }

        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(header.Trim()), Encoding.ASCII.GetBytes(Sign(secret, body)))
            ? null
            : "X-Shopify-Hmac-Sha256 does not match the body";
    }
}

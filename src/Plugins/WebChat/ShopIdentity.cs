using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.WebChat;

/// <summary>What the shop's page passes to <c>ChatGateway.identify</c>, signed by the shop's server.</summary>
internal sealed record IdentifyRequest(string? UserId, string? Phone, string? Email, string? Name, long? Expires, string? Signature);

/// <summary>
/// Checks a shop's signature over a visitor's identity (the way Intercom and Chatwoot verify users):
/// <c>signature = hex(HMAC-SHA256(IdentitySecret, userId + "\n" + phone + "\n" + email + "\n" + name + "\n" + expires))</c>,
/// absent fields as empty strings, <c>expires</c> in Unix seconds. Only the shop's server knows the secret.
/// </summary>
internal static class ShopIdentity
{
    /// <summary>The exact string the shop signs.</summary>
    public static string Canonical(string userId, string? phone, string? email, string? name, long expires) =>
        string.Join('\n', userId, phone ?? "", email ?? "", name ?? "", expires.ToString(CultureInfo.InvariantCulture));

    /// <summary>The signature the shop's server computes (tests and the README's examples do the same).</summary>
    public static string Sign(string secret, string userId, string? phone, string? email, string? name, long expires) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Canonical(userId, phone, email, name, expires))));

    /// <summary>Null when the request is well formed, signed with the secret and current; otherwise the status and reason.</summary>
    public static (int Status, string Reason)? Check(IdentifyRequest request, string secret, DateTimeOffset now, TimeSpan maxAhead)
    {
        if (string.IsNullOrWhiteSpace(request.UserId) || request.UserId.Length > 200)
        {
            return (400, "userId is required (at most 200 characters)");
        }

        if (request.Phone?.Length > 40 || request.Email?.Length > 320 || request.Name?.Length > 100)
        {
            return (400, "phone (40), email (320) or name (100) is too long");
        }

        if (new[] { request.UserId, request.Phone, request.Email, request.Name }.Any(f => f is not null && f.Contains('\n')))
        {
            return (400, "fields must not contain line breaks");
        }

        if (request.Expires is not { } expires)
        {
            return (400, "expires is required (Unix time in seconds)");
        }

        if (string.IsNullOrEmpty(request.Signature) || request.Signature.Length != 64)
        {
            return (401, "signature is required: hex HMAC-SHA256 of the identity (64 characters)");
        }

        byte[] given;
        try
        {
            given = Convert.FromHexString(request.Signature);
        }
        catch (FormatException)
        {
            return (401, "signature is not hex");
        }

        var expected = HMACSHA256.HashData(
            Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(Canonical(request.UserId, request.Phone, request.Email, request.Name, expires)));
        if (!CryptographicOperations.FixedTimeEquals(expected, given))
        {
            return (401, "identity signature is not valid");
        }

        var nowSeconds = now.ToUnixTimeSeconds();
        if (expires <= nowSeconds)
        {
            return (401, "identity expired");
        }

        if (expires > nowSeconds + (long)maxAhead.TotalSeconds)
        {
            return (401, $"identity expires too far ahead: at most {(long)maxAhead.TotalSeconds} seconds from now");
        }

        return null;
    }
}

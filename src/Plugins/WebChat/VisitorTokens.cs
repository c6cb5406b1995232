using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WebChat;

/// <summary>Who a valid visitor token says the visitor is. Phone, email and name are set only when the shop vouched for them.</summary>
internal readonly record struct VisitorIdentity(string ExternalId, string? Phone = null, string? Email = null, string? Name = null)
{
    public bool IsVerified => ExternalId.StartsWith(VisitorTokens.UserPrefix, StringComparison.Ordinal);
}

/// <summary>The claims of a visitor the shop identified, as carried (signed) inside their token.</summary>
internal sealed record IdentifiedClaims(string Sub, string? Phone, string? Email, string? Name, long Exp);

/// <summary>
/// Visitor tokens issued and signed by the gateway (HMAC-SHA256 with this instance's key from
/// <see cref="IChannelKeys"/>, the same on every gateway instance), so a made-up or old random token is
/// refused instead of creating a visitor. Two forms:
/// <list type="bullet">
/// <item><c>a.{id}.{mac}</c>: an anonymous visitor (128 random bits); their id is <c>v_{id}</c>.</item>
/// <item><c>u.{claims}.{mac}</c>: a visitor the shop identified (signed claims: user, phone, email, name,
/// expiry); their id is derived from the shop's user id, so the same user on two browsers is one identity.</item>
/// </list>
/// Checking one costs one HMAC over a few dozen bytes and no store access.
/// </summary>
internal sealed class VisitorTokens(IChannelKeys keys, TimeProvider time)
{
    public const string Header = "X-Visitor-Token";
    public const string Purpose = "visitor-tokens";
    public const string AnonymousPrefix = "v_";
    public const string UserPrefix = "u_";
    private const int MacLength = 32;
    private const int MaxTokenLength = 2048;

    private byte[] Key => field ??= keys.GetKey(Purpose);

    /// <summary>A new anonymous visitor's token.</summary>
    public string CreateAnonymous()
    {
        Span<byte> id = stackalloc byte[16];
        RandomNumberGenerator.Fill(id);
        return Seal("a." + Base64Url.EncodeToString(id));
    }

    /// <summary>A token for a visitor the shop identified, valid until <paramref name="expires"/>.</summary>
    public string CreateIdentified(string userId, string? phone, string? email, string? name, DateTimeOffset expires)
    {
        var claims = JsonSerializer.SerializeToUtf8Bytes(new IdentifiedClaims(userId, phone, email, name, expires.ToUnixTimeSeconds()), WebChatJson.Default.IdentifiedClaims);
        return Seal("u." + Base64Url.EncodeToString(claims));
    }

    /// <summary>The visitor a token names, when the gateway issued it (and, for an identified visitor, it has not expired).</summary>
    public bool TryRead(string? token, out VisitorIdentity visitor)
    {
        visitor = default;
        if (token is null || token.Length is < 10 or > MaxTokenLength || token[1] != '.' || token[0] is not ('a' or 'u'))
        {
            return false;
        }

        var dot = token.LastIndexOf('.');
        if (dot <= 2 || !HasValidMac(token.AsSpan(0, dot), token.AsSpan(dot + 1)))
        {
            return false;
        }

        var body = token.AsSpan(2, dot - 2);
        if (token[0] == 'a')
        {
            visitor = new VisitorIdentity(string.Concat(AnonymousPrefix, body));
            return true;
        }

        IdentifiedClaims? claims;
        try
        {
            claims = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(body), WebChatJson.Default.IdentifiedClaims);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return false;
        }

        if (claims is null || string.IsNullOrEmpty(claims.Sub) || claims.Exp <= time.GetUtcNow().ToUnixTimeSeconds())
        {
            return false;
        }

        visitor = new VisitorIdentity(UserExternalId(claims.Sub), claims.Phone, claims.Email, claims.Name);
        return true;
    }

    /// <summary>The shop user's id on this channel: a hash, so any user id fits and none is shown as is.</summary>
    public static string UserExternalId(string userId) =>
        UserPrefix + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(userId)))[..40];

    private string Seal(string body)
    {
        Span<byte> mac = stackalloc byte[MacLength];
        HMACSHA256.HashData(Key, Encoding.ASCII.GetBytes(body), mac);
        return body + "." + Base64Url.EncodeToString(mac);
    }

    private bool HasValidMac(ReadOnlySpan<char> body, ReadOnlySpan<char> mac)
    {
        Span<byte> given = stackalloc byte[MacLength + 2];
        try
        {
            if (mac.Length != 43 || !Base64Url.TryDecodeFromChars(mac, given, out var written) || written != MacLength)
            {
                return false;
            }
        }
        catch (FormatException)
        {
            return false; // not base64url
        }

        // The body is base64url and dots (ASCII): its bytes are its chars.
        var rented = body.Length > 256 ? ArrayPool<byte>.Shared.Rent(body.Length) : null;
        try
        {
            Span<byte> bytes = rented is null ? stackalloc byte[body.Length] : rented.AsSpan(0, body.Length);
            if (Encoding.ASCII.GetBytes(body, bytes) != body.Length)
            {
                return false;
            }

            Span<byte> expected = stackalloc byte[MacLength];
            HMACSHA256.HashData(Key, bytes, expected);
            return CryptographicOperations.FixedTimeEquals(expected, given[..MacLength]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }
}

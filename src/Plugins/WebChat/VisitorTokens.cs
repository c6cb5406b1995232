using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.WebChat;

/// <summary>
/// A visitor is known by an unguessable token (256 random bits) that only their browser holds. The
/// gateway stores a hash of it as the visitor's id, so the store never holds a usable token.
/// </summary>
internal static class VisitorTokens
{
    public const string Header = "X-Visitor-Token";

    public static string Create() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static bool IsWellFormed(string? token) =>
        token is { Length: 43 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static string ExternalId(string token) =>
        "v_" + Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)))[..40];

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

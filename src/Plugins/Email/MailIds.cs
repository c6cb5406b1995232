using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Plugins.Email;

/// <summary>
/// Message ids as the channel stores them (ProviderMessageId, thread ids), the same for inbound and outbound mail so the
/// gateway can match a reply's In-Reply-To to the message it answers: the Message-ID without angle brackets or white space.
/// </summary>
internal static class MailIds
{
    /// <summary>Longer ids (a sender's choice) are replaced by their hash, so they fit the gateway's columns.</summary>
    public const int MaxLength = 200;

    public static string? Normalise(string? messageId)
    {
        if (string.IsNullOrWhiteSpace(messageId))
        {
            return null;
        }

        var builder = new StringBuilder(messageId.Length);
        foreach (var c in messageId.AsSpan().Trim())
        {
            if (!char.IsWhiteSpace(c) && !char.IsControl(c))
            {
                builder.Append(c);
            }
        }

        var id = builder.ToString();
        if (id.StartsWith('<'))
        {
            id = id[1..];
        }

        if (id.EndsWith('>'))
        {
            id = id[..^1];
        }

        if (id.Length == 0)
        {
            return null;
        }

        return id.Length <= MaxLength ? id : "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(id)));
    }

    /// <summary>The id of a message without a Message-ID: a hash of its raw bytes, the same each time the server returns it.</summary>
    public static async Task<string> HashOfRawAsync(Stream raw, CancellationToken cancellationToken)
    {
        var start = raw.Position;
        var hash = await SHA256.HashDataAsync(raw, cancellationToken);
        raw.Position = start;
        return "raw-sha256:" + Convert.ToHexStringLower(hash);
    }

    /// <summary>The Message-ID the channel gives an outbound message: the same on every attempt to send it.</summary>
    public static string ForOutbound(Guid messageId, string addressDomain) => $"{messageId:N}@{addressDomain}";

    /// <summary>
    /// The reply token in <paramref name="address"/> when it is the shop's address with a <c>+token</c> (local part and
    /// domain compared without case); null otherwise.
    /// </summary>
    public static string? ReplyToken(string? address, EmailOptions options)
    {
        if (string.IsNullOrEmpty(address) || string.IsNullOrEmpty(options.Address))
        {
            return null;
        }

        var at = address.LastIndexOf('@');
        if (at <= 0 || !string.Equals(address[(at + 1)..], options.AddressDomain, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var local = address[..at];
        var plus = local.IndexOf('+', StringComparison.Ordinal);
        if (plus <= 0 || !string.Equals(local[..plus], options.AddressLocalPart, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = local[(plus + 1)..];
        return token.Length is > 0 and <= 200 && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_') ? token : null;
    }

    /// <summary>The shop's address with the token after a <c>+</c>.</summary>
    public static string ReplyAddress(EmailOptions options, string token) => $"{options.AddressLocalPart}+{token}@{options.AddressDomain}";
}

using System.Buffers.Text;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms.Media;

/// <summary>
/// Public URLs of an agent's files for Twilio to fetch when it sends an MMS (Twilio only takes public URLs):
/// <c>{PublicBaseUrl}/channels/{id}/media/{attachmentId}?type=...&amp;expires=...&amp;sig=...</c>. The signature is
/// HMAC-SHA256, keyed with this instance's <c>media-urls</c> key, over the attachment id, the content type the file is
/// served with and the expiry; base64url. Without a valid, unexpired signature the endpoint answers 404, so the store's
/// ids cannot be probed and a link cannot be made to serve another type.
/// </summary>
internal sealed class MediaLinks(IChannelKeys keys, TimeProvider time, IOptionsMonitor<SmsOptions> options, ChannelInstance instance)
{
    public const string KeyPurpose = "media-urls";

    private const int MacLength = 32;
    private const int MaxIdLength = 200;

    private byte[] Key => field ??= keys.GetKey(KeyPurpose);

    /// <summary>The URL Twilio fetches the file from, valid for <see cref="SmsOptions.MediaUrlLifetime"/>.</summary>
    public string CreateUrl(MessageAttachment attachment)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        var settings = options.CurrentValue;
        var expires = time.GetUtcNow().Add(settings.MediaUrlLifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var type = attachment.ContentType;
        var signature = Sign(attachment.Id, type, expires);
        return settings.PublicUrlFor(
            $"/channels/{Uri.EscapeDataString(instance.Id)}/media/{Uri.EscapeDataString(attachment.Id)}"
            + $"?type={Uri.EscapeDataString(type)}&expires={expires}&sig={signature}");
    }

    /// <summary>True when the link was made by this instance for this id and type and has not expired.</summary>
    public bool IsValid(string? attachmentId, string? type, string? expires, string? signature)
    {
        if (string.IsNullOrEmpty(attachmentId) || attachmentId.Length > MaxIdLength || attachmentId.Any(char.IsControl)
            || string.IsNullOrEmpty(type) || !MediaTypeHeaderValue.TryParse(type, out _)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt)
            || string.IsNullOrEmpty(signature) || signature.Length != 43)
        {
            return false;
        }

        Span<byte> given = stackalloc byte[MacLength + 2];
        try
        {
            if (!Base64Url.TryDecodeFromChars(signature, given, out var written) || written != MacLength)
            {
                return false;
            }
        }
        catch (FormatException)
        {
            return false; // TryDecode throws on characters outside base64url
        }

        Span<byte> expected = stackalloc byte[MacLength];
        HMACSHA256.HashData(Key, Payload(attachmentId, type, expires!), expected);
        return CryptographicOperations.FixedTimeEquals(expected, given[..MacLength])
            && expiresAt > time.GetUtcNow().ToUnixTimeSeconds();
    }

    private string Sign(string attachmentId, string type, string expires)
    {
        Span<byte> mac = stackalloc byte[MacLength];
        HMACSHA256.HashData(Key, Payload(attachmentId, type, expires), mac);
        return Base64Url.EncodeToString(mac);
    }

    // An id with a control character is refused, and a media type or a number has no line break: the parts cannot run into each other.
    private static byte[] Payload(string attachmentId, string type, string expires) =>
        Encoding.UTF8.GetBytes($"sms-media-v1\n{attachmentId}\n{type}\n{expires}");
}

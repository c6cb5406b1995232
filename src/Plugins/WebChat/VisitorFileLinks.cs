using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WebChat;

/// <summary>A file as the widget gets it: what the store says of it, and a link the visitor opens it with.</summary>
internal sealed record VisitorFile(string Id, string FileName, string ContentType, long Size, string Url);

/// <summary>A file the visitor just uploaded, with the receipt that lets them name it in a message.</summary>
internal sealed record UploadedFile(string Id, string FileName, string ContentType, long Size, string Url, string Receipt);

/// <summary>What an upload receipt carries (signed): the stored file, its uploader and the receipt's expiry.</summary>
internal sealed record UploadReceiptClaims(string Id, string Name, string Type, long Size, string Sub, long Exp);

/// <summary>
/// Two signatures of this instance over files, HMAC-SHA256 with keys from <see cref="IChannelKeys"/> (the same on every
/// gateway instance, so neither needs memory shared between them):
/// <list type="bullet">
/// <item>Links: <c>files/{id}?v={visitor}&amp;exp={unix}&amp;sig={mac}</c>, for an <c>&lt;img src&gt;</c> or a download
/// link, which cannot send the visitor's token header. Valid for <see cref="WebChatOptions.FileLinkLifetime"/>; the file
/// endpoint still asks the store whether that visitor may see the file now.</item>
/// <item>Receipts: <c>{claims}.{mac}</c>, the file as the store saved it (id, name, type, size), the visitor and an
/// expiry, given with an upload: a message may only name files with the sender's own receipt, whichever gateway
/// instance took the upload and whichever takes the message.</item>
/// </list>
/// </summary>
internal sealed class VisitorFileLinks(IChannelKeys keys, TimeProvider time, IOptionsMonitor<WebChatOptions> options)
{
    public const string LinkPurpose = "visitor-file-links";
    public const string ReceiptPurpose = "visitor-upload-receipts";

    /// <summary>Under the store's day after which a file no message took is deleted.</summary>
    public static readonly TimeSpan ReceiptLifetime = TimeSpan.FromHours(23);

    private const int MacLength = 32;
    private const int MaxPartLength = 200;

    private byte[] LinkKey => field ??= keys.GetKey(LinkPurpose);

    private byte[] ReceiptKey => field ??= keys.GetKey(ReceiptPurpose);

    public VisitorFile ToVisitor(MessageAttachment file, string visitorId) =>
        new(file.Id, file.FileName, file.ContentType, file.Size, Link(file.Id, visitorId));

    public IReadOnlyList<VisitorFile>? ToVisitor(IReadOnlyList<MessageAttachment>? files, string visitorId) =>
        files is { Count: > 0 } ? [.. files.Select(f => ToVisitor(f, visitorId))] : null;

    /// <summary>The link (relative to the instance's base, <c>/channels/{id}/</c>) the visitor opens the file with.</summary>
    public string Link(string attachmentId, string visitorId)
    {
        var expires = time.GetUtcNow().Add(options.CurrentValue.FileLinkLifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"files/{Uri.EscapeDataString(attachmentId)}?v={Uri.EscapeDataString(visitorId)}&exp={expires}&sig={Sign(LinkKey, "link", attachmentId, visitorId, expires)}";
    }

    /// <summary>True when this instance made the link for this file and visitor and it has not expired.</summary>
    public bool IsValidLink(string attachmentId, string? visitorId, string? expires, string? signature) =>
        IsValid(LinkKey, "link", attachmentId, visitorId, expires, signature);

    /// <summary>The receipt of an upload: the file as the store saved it, for this visitor, signed.</summary>
    public string Receipt(MessageAttachment file, string visitorId)
    {
        var claims = new UploadReceiptClaims(file.Id, file.FileName, file.ContentType, file.Size, visitorId, time.GetUtcNow().Add(ReceiptLifetime).ToUnixTimeSeconds());
        var body = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims, WebChatJson.Default.UploadReceiptClaims));
        Span<byte> mac = stackalloc byte[MacLength];
        HMACSHA256.HashData(ReceiptKey, Encoding.ASCII.GetBytes(body), mac);
        return body + "." + Base64Url.EncodeToString(mac);
    }

    /// <summary>
    /// The file a receipt names, when this instance gave it to this visitor for the upload of <paramref name="attachmentId"/>
    /// less than <see cref="ReceiptLifetime"/> ago; otherwise null.
    /// </summary>
    public MessageAttachment? ReadReceipt(string? attachmentId, string visitorId, string? receipt)
    {
        var dot = receipt?.LastIndexOf('.') ?? -1;
        if (string.IsNullOrEmpty(attachmentId) || receipt is null || receipt.Length > 2048 || dot <= 0 || !HasValidMac(ReceiptKey, Encoding.ASCII.GetBytes(receipt[..dot]), receipt[(dot + 1)..]))
        {
            return null;
        }

        UploadReceiptClaims? claims;
        try
        {
            claims = JsonSerializer.Deserialize(Base64Url.DecodeFromChars(receipt.AsSpan(0, dot)), WebChatJson.Default.UploadReceiptClaims);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            return null;
        }

        return claims is not null && claims.Id == attachmentId && claims.Sub == visitorId && claims.Exp > time.GetUtcNow().ToUnixTimeSeconds()
            ? new MessageAttachment { Id = claims.Id, FileName = claims.Name, ContentType = claims.Type, Size = claims.Size }
            : null;
    }

    private bool IsValid(byte[] key, string kind, string attachmentId, string? visitorId, string? expires, string? signature)
    {
        if (!IsPart(attachmentId) || !IsPart(visitorId)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt)
            || signature is not { Length: 43 })
        {
            return false;
        }

        return HasValidMac(key, Payload(kind, attachmentId, visitorId!, expires!), signature) && expiresAt > time.GetUtcNow().ToUnixTimeSeconds();
    }

    private static bool HasValidMac(byte[] key, byte[] payload, string signature)
    {
        Span<byte> given = stackalloc byte[MacLength + 2];
        try
        {
            if (signature.Length != 43 || !Base64Url.TryDecodeFromChars(signature, given, out var written) || written != MacLength)
            {
                return false;
            }
        }
        catch (FormatException)
        {
            return false; // characters outside base64url
        }

        Span<byte> expected = stackalloc byte[MacLength];
        HMACSHA256.HashData(key, payload, expected);
        return CryptographicOperations.FixedTimeEquals(expected, given[..MacLength]);
    }

    private static string Sign(byte[] key, string kind, string attachmentId, string visitorId, string expires)
    {
        Span<byte> mac = stackalloc byte[MacLength];
        HMACSHA256.HashData(key, Payload(kind, attachmentId, visitorId, expires), mac);
        return Base64Url.EncodeToString(mac);
    }

    private static bool IsPart(string? value) => !string.IsNullOrEmpty(value) && value.Length <= MaxPartLength && !value.Any(char.IsControl);

    // Parts with a control character are refused: with line feeds between them they cannot run into each other.
    private static byte[] Payload(string kind, string attachmentId, string visitorId, string expires) =>
        Encoding.UTF8.GetBytes($"webchat-{kind}-v1\n{attachmentId}\n{visitorId}\n{expires}");
}

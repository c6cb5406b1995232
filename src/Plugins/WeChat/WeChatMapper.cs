using System.Globalization;

using System.Text.RegularExpressions;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;

namespace ChatGateway.Plugins.WeChat;

/// <summary>What one webhook message asks of the gateway.</summary>
internal sealed record WeChatInbound
{
    /// <summary>The message to store (null for an event that stores nothing).</summary>
    public InboundMessage? Message { get; init; }

    /// <summary>The media to download and attach before storing (image, voice), if any.</summary>
    public string? MediaId { get; init; }

    /// <summary>The attachment's file name.</summary>
    public string? MediaFileName { get; init; }

    /// <summary>The OpenID of a customer who unfollowed the account.</summary>
    public string? Unsubscribed { get; init; }
}

/// <summary>
/// WeChat's XML messages (one per request) to the common model, and the customer-service message out, in one place.
/// </summary>
internal static partial class WeChatMapper
{
    /// <summary>How WeChat prefixes the scene of a QR code in a <c>subscribe</c> event's EventKey.</summary>
    private const string QrScenePrefix = "qrscene_";

    private static MessageOrigin QrCode(string scene) => new() { Kind = "qr-code", Reference = scene };

    /// <summary>The inbound message for the XML's fields, or null and why when a required field is missing.</summary>
    public static (WeChatInbound? Inbound, string? Error) ToInbound(IReadOnlyDictionary<string, string> fields)
    {
        var from = Get(fields, "FromUserName");
        var type = Get(fields, "MsgType")?.ToLowerInvariant();
        var created = Get(fields, "CreateTime");
        if (string.IsNullOrWhiteSpace(from))
        {
            return (null, "FromUserName is required");
        }

        if (string.IsNullOrWhiteSpace(type))
        {
            return (null, "MsgType is required");
        }

        DateTimeOffset? sentAt = long.TryParse(created, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) && seconds < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;
        var eventName = Get(fields, "Event");
        var eventKey = Get(fields, "EventKey");

        // Messages carry MsgId; events do not, so sender + time + event (+ key) identify a redelivery.
        var id = Get(fields, "MsgId") is { Length: > 0 } msgId
            ? msgId
            : $"{from}:{created}:{type}:{eventName}:{eventKey}";
        var message = new InboundMessage
        {
            ProviderMessageId = id,
            Sender = new ChannelSender { ExternalId = from },
            Text = "",
            SentAt = sentAt,
        };

        switch (type)
        {
            case "text":
                return (new WeChatInbound { Message = message with { Text = Get(fields, "Content") ?? "" } }, null);
            case "image":
                return (new WeChatInbound { Message = message, MediaId = Get(fields, "MediaId"), MediaFileName = "image.jpg" }, null);
            case "voice":
                return (new WeChatInbound
                {
                    Message = message with { Text = Get(fields, "Recognition") ?? "" },
                    MediaId = Get(fields, "MediaId"),
                    MediaFileName = "voice." + (Get(fields, "Format")?.ToLowerInvariant() is { Length: > 0 and <= 8 } format && format.All(char.IsAsciiLetterOrDigit) ? format : "amr"),
                }, null);
            case "location":
                var label = Get(fields, "Label");
                var where = $"{Get(fields, "Location_X")}, {Get(fields, "Location_Y")}";
                return (new WeChatInbound { Message = message with { Text = string.IsNullOrWhiteSpace(label) ? $"[location] {where}" : $"[location] {label} ({where})" } }, null);
            case "link":
                return (new WeChatInbound { Message = message with { Text = $"[link] {Get(fields, "Title")} {Get(fields, "Url")}".TrimEnd() } }, null);
            case "event":
                switch (eventName?.ToLowerInvariant())
                {
                    case "subscribe" when eventKey?.StartsWith(QrScenePrefix, StringComparison.Ordinal) == true && eventKey.Length > QrScenePrefix.Length:
                        // A new follower who scanned the shop's QR code: where they came from is kept for when they write. An
                        // event, not their words: stored without opening a conversation for an agent (AutoSubmitted).
                        var scene = eventKey[QrScenePrefix.Length..];
                        return (new WeChatInbound { Message = message with { Text = $"[followed via QR code] {scene}", Origin = QrCode(scene), AutoSubmitted = true } }, null);
                    case "subscribe":
                        // A new follower: nothing to store until they write (documented in the README).
                        return (new WeChatInbound(), null);
                    case "scan" when !string.IsNullOrEmpty(eventKey):
                        // A follower scanned a QR code with a scene (EventKey is the scene itself here).
                        return (new WeChatInbound { Message = message with { Text = $"[QR code] {eventKey}", Origin = QrCode(eventKey), AutoSubmitted = true } }, null);
                    case "unsubscribe":
                        return (new WeChatInbound { Unsubscribed = from }, null);
                    case "click":
                        return (new WeChatInbound { Message = message with { Text = $"[menu] {eventKey}" } }, null);
                    default:
                        return (new WeChatInbound
                        {
                            Message = message with { Unsupported = new UnsupportedContent { Kind = $"event:{eventName?.ToLowerInvariant() ?? "unknown"}" } },
                        }, null);
                }

            default:
                // A type this plugin does not know (video, shortvideo, a new kind): the agent sees it came.
                return (new WeChatInbound { Message = message with { Unsupported = new UnsupportedContent { Kind = type } } }, null);
        }
    }

    /// <summary>The customer-service message that sends an agent's text.</summary>
    public static WeChatCustomMessage ToTextMessage(OutboundMessage message) =>
        new() { ToUser = message.Recipient.ExternalId, MsgType = "text", Text = new WeChatText(message.Text) };

    /// <summary>The customer-service message that sends a picture uploaded as temporary media.</summary>
    public static WeChatCustomMessage ToImageMessage(OutboundMessage message, string mediaId) =>
        new() { ToUser = message.Recipient.ExternalId, MsgType = "image", Image = new WeChatMedia(mediaId) };

    /// <summary>WeChat's <c>language</c> (<c>zh_CN</c>, <c>en</c>) as an IETF tag (<c>zh-CN</c>); null when it is not one.</summary>
    public static string? ToLanguageTag(string? language)
    {
        if (string.IsNullOrWhiteSpace(language))
        {
            return null;
        }

        var tag = language.Trim().Replace('_', '-');
        return LanguageTag().IsMatch(tag) ? tag : null;
    }

    /// <summary>WeChat's errmsg without its trailing request hint.</summary>
    public static string ErrorText(string? errMsg)
    {
        if (string.IsNullOrEmpty(errMsg))
        {
            return "";
        }

        var cut = errMsg.IndexOf(" hint:", StringComparison.Ordinal);
        cut = cut < 0 ? errMsg.IndexOf(" rid:", StringComparison.Ordinal) : cut;
        var text = cut < 0 ? errMsg : errMsg[..cut];
        return text.Length > 120 ? text[..120] : text;
    }

    private static string? Get(IReadOnlyDictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) ? value : null;

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    private static partial Regex LanguageTag();
}

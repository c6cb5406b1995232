using System.Globalization;

using ChatGateway.Abstractions;

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
internal static class WeChatMapper
{
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
                    case "subscribe":
                        // A new follower: nothing to store until they write (documented in the README).
                        return (new WeChatInbound(), null);
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
    public static object ToCustomMessage(OutboundMessage message) => new Dictionary<string, object>
    {
        ["touser"] = message.Recipient.ExternalId,
        ["msgtype"] = "text",
        ["text"] = new Dictionary<string, string> { ["content"] = message.Text },
    };

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
}

using System.Globalization;
using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Line.Api;

namespace ChatGateway.Plugins.Line;

/// <summary>
/// A webhook event the gateway takes: the message, the customer's user id when LINE gives it (a group member may have
/// none), and the content still to be fetched (a picture, a video, an audio clip, a file).
/// </summary>
internal sealed record LineEvent(InboundMessage Message, string? UserId, LineContent? Content = null);

/// <summary>Content LINE keeps for a while: fetched by message id; <paramref name="Kind"/> is LINE's message type.</summary>
internal sealed record LineContent(string MessageId, string Kind, string FileName);

/// <summary>
/// LINE's payloads to and from the common model, in one place. A webhook body is
/// <c>{"destination":"U…","events":[…]}</c> (the console's verify call sends no event); an event has a <c>type</c>,
/// <c>source</c> (<c>{type:user,userId}</c>, <c>{type:group,groupId,userId?}</c>, <c>{type:room,roomId,userId?}</c>),
/// <c>timestamp</c> (Unix ms), <c>mode</c> (<c>active</c>/<c>standby</c>), <c>webhookEventId</c>, <c>deliveryContext</c>
/// and, when it can be answered, <c>replyToken</c>.
/// </summary>
internal static class LineMapper
{
    /// <summary>The most text one LINE text message carries, in characters (UTF-16 code units).</summary>
    public const int MaxTextLength = 5000;

    /// <summary>The most messages one reply or push carries.</summary>
    public const int MaxMessagesPerRequest = 5;

    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    /// <summary>
    /// The webhook's customer messages, in order, and how many events of other kinds (follow, join, unsend…) were passed
    /// over; or null and the reason when the body is malformed.
    /// </summary>
    public static (IReadOnlyList<LineEvent>? Events, int Ignored, string? Error) ToEvents(ReadOnlyMemory<byte> body, DateTimeOffset now, TimeSpan replyTokenLifetime)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, StrictJson);
        }
        catch (JsonException)
        {
            return (null, 0, "the body is not valid JSON (or repeats a property)");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("events", out var events)
                || events.ValueKind != JsonValueKind.Array)
            {
                return (null, 0, "events is required (an array)");
            }

            var mapped = new List<LineEvent>();
            var ignored = 0;
            var index = 0;
            foreach (var item in events.EnumerateArray())
            {
                var (lineEvent, error) = ToEvent(item, $"events[{index}]", now, replyTokenLifetime);
                if (error is not null)
                {
                    return (null, 0, error);
                }

                if (lineEvent is null)
                {
                    ignored++;
                }
                else
                {
                    mapped.Add(lineEvent);
                }

                index++;
            }

            return (mapped, ignored, null);
        }
    }

    /// <summary>One event: a message, null for an event that is no customer's message, or the reason it is malformed.</summary>
    private static (LineEvent? Event, string? Error) ToEvent(JsonElement item, string where, DateTimeOffset now, TimeSpan replyTokenLifetime)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{where} must be an object");
        }

        var type = GetString(item, "type");
        if (string.IsNullOrWhiteSpace(type))
        {
            return (null, $"{where}.type is required");
        }

        if (!item.TryGetProperty("timestamp", out var timestamp) || timestamp.ValueKind != JsonValueKind.Number
            || !timestamp.TryGetInt64(out var milliseconds) || milliseconds < 0 || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
        {
            return (null, $"{where}.timestamp is required (Unix milliseconds)");
        }

        // Follow, unfollow, join, leave, unsend, member joined/left, beacon…: nothing a customer wrote.
        if (type is not ("message" or "postback"))
        {
            return (null, null);
        }

        var (source, sourceError) = ReadSource(item, where);
        if (source is null)
        {
            return (null, sourceError);
        }

        var sentAt = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        var message = new InboundMessage
        {
            ProviderMessageId = "",
            Sender = new ChannelSender { ExternalId = source.UserId ?? source.Chat?.ExternalId ?? "" },
            Chat = source.Chat,
            Text = "",
            SentAt = sentAt,
            ReplyContext = ReplyContextOf(item, sentAt, now, replyTokenLifetime),
        };

        if (type == "postback")
        {
            var eventId = GetString(item, "webhookEventId");
            if (string.IsNullOrWhiteSpace(eventId))
            {
                return (null, $"{where}.webhookEventId is required");
            }

            var data = item.TryGetProperty("postback", out var postback) && postback.ValueKind == JsonValueKind.Object ? GetString(postback, "data") : null;
            return (new LineEvent(message with { ProviderMessageId = eventId, Unsupported = new UnsupportedContent { Kind = "postback", Summary = data } }, source.UserId), null);
        }

        if (!item.TryGetProperty("message", out var content) || content.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{where}.message is required for a message event");
        }

        var id = GetString(content, "id");
        var kind = GetString(content, "type");
        if (string.IsNullOrWhiteSpace(id))
        {
            return (null, $"{where}.message.id is required");
        }

        if (string.IsNullOrWhiteSpace(kind))
        {
            return (null, $"{where}.message.type is required");
        }

        // The message id, not the event's: a redelivered event carries the same message, stored once.
        message = message with { ProviderMessageId = id };
        switch (kind)
        {
            case "text":
                var text = GetString(content, "text");
                return string.IsNullOrEmpty(text)
                    ? (null, $"{where}.message.text is required for a text message")
                    : (new LineEvent(message with { Text = text }, source.UserId), null);

            case "sticker":
                return (new LineEvent(message with { Unsupported = new UnsupportedContent { Kind = "sticker", Summary = StickerSummary(content) } }, source.UserId), null);

            case "location":
                return (new LineEvent(message with { Text = LocationText(content) }, source.UserId), null);

            case "image" or "video" or "audio" or "file":
                if (content.TryGetProperty("contentProvider", out var provider)
                    && provider.ValueKind == JsonValueKind.Object && GetString(provider, "type") == "external")
                {
                    // Content another service hosts (sent through LIFF or a partner app): LINE has no bytes of it to give.
                    var address = GetString(provider, "originalContentUrl");
                    return (new LineEvent(message with { Unsupported = new UnsupportedContent { Kind = kind, Summary = address is null ? "hosted outside LINE" : $"hosted outside LINE: {address}" } }, source.UserId), null);
                }

                return (new LineEvent(message, source.UserId, new LineContent(id, kind, ContentFileName(kind, id, content))), null);

            default:
                // A kind LINE added after this plugin (or one it does not show): the agent sees that it came.
                return (new LineEvent(message with { Unsupported = new UnsupportedContent { Kind = kind.ToLowerInvariant() } }, source.UserId), null);
        }
    }

    private sealed record LineSource(string? UserId, ChannelChat? Chat);

    private static (LineSource? Source, string? Error) ReadSource(JsonElement item, string where)
    {
        if (!item.TryGetProperty("source", out var source) || source.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{where}.source is required");
        }

        var userId = GetString(source, "userId");
        switch (GetString(source, "type"))
        {
            case "user":
                return string.IsNullOrWhiteSpace(userId) ? (null, $"{where}.source.userId is required") : (new LineSource(userId, null), null);
            case "group":
                var groupId = GetString(source, "groupId");
                return string.IsNullOrWhiteSpace(groupId)
                    ? (null, $"{where}.source.groupId is required")
                    : (new LineSource(NullIfBlank(userId), new ChannelChat { ExternalId = groupId, Kind = ChatKind.Group }), null);
            case "room":
                var roomId = GetString(source, "roomId");
                return string.IsNullOrWhiteSpace(roomId)
                    ? (null, $"{where}.source.roomId is required")
                    : (new LineSource(NullIfBlank(userId), new ChannelChat { ExternalId = roomId, Kind = ChatKind.Room }), null);
            default:
                return (null, $"{where}.source.type must be user, group or room");
        }
    }

    /// <summary>
    /// The reply token, valid for <paramref name="lifetime"/> from the event (or from now, for an event stamped ahead of
    /// this clock). None in standby mode: another channel (a chat module) answers then, and this one must not.
    /// </summary>
    private static ReplyContext? ReplyContextOf(JsonElement item, DateTimeOffset sentAt, DateTimeOffset now, TimeSpan lifetime)
    {
        var token = GetString(item, "replyToken");
        if (string.IsNullOrWhiteSpace(token) || GetString(item, "mode") == "standby")
        {
            return null;
        }

        return new ReplyContext { Value = token, ExpiresAt = (sentAt < now ? sentAt : now) + lifetime, SingleUse = true };
    }

    /// <summary>What the sender meant by it: the sticker's own text (message stickers), else its keywords, else its ids.</summary>
    private static string StickerSummary(JsonElement content)
    {
        if (GetString(content, "text") is { Length: > 0 } text)
        {
            return text;
        }

        if (content.TryGetProperty("keywords", out var keywords) && keywords.ValueKind == JsonValueKind.Array)
        {
            var words = keywords.EnumerateArray().Where(k => k.ValueKind == JsonValueKind.String).Select(k => k.GetString()).Take(5).ToList();
            if (words.Count > 0)
            {
                return string.Join(", ", words);
            }
        }

        return $"package {GetString(content, "packageId") ?? "?"}, sticker {GetString(content, "stickerId") ?? "?"}";
    }

    /// <summary>A shared location as the agent reads it: its name, its address, and the coordinates.</summary>
    private static string LocationText(JsonElement content)
    {
        var parts = new List<string>();
        if (GetString(content, "title") is { Length: > 0 } title)
        {
            parts.Add(title);
        }

        if (GetString(content, "address") is { Length: > 0 } address)
        {
            parts.Add(address);
        }

        if (content.TryGetProperty("latitude", out var latitude) && latitude.TryGetDouble(out var lat)
            && content.TryGetProperty("longitude", out var longitude) && longitude.TryGetDouble(out var lng))
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"({lat}, {lng})"));
        }

        return "Location: " + (parts.Count == 0 ? "(no details)" : string.Join(" ", parts));
    }

    private static string ContentFileName(string kind, string id, JsonElement content) => kind switch
    {
        "file" when GetString(content, "fileName") is { Length: > 0 } name => name,
        "image" => $"line-image-{id}.jpg",
        "video" => $"line-video-{id}.mp4",
        "audio" => $"line-audio-{id}.m4a",
        _ => $"line-file-{id}",
    };

    /// <summary>
    /// An agent's text as LINE text messages: one per 5,000 characters (never splitting a surrogate pair), at most five;
    /// null when it needs more.
    /// </summary>
    public static IReadOnlyList<LineTextMessage>? ToTextMessages(string text)
    {
        var messages = new List<LineTextMessage>();
        var rest = text.AsSpan();
        while (rest.Length > 0)
        {
            var take = Math.Min(rest.Length, MaxTextLength);
            if (take < rest.Length && char.IsHighSurrogate(rest[take - 1]))
            {
                take--;
            }

            messages.Add(new LineTextMessage { Text = rest[..take].ToString() });
            rest = rest[take..];
            if (messages.Count > MaxMessagesPerRequest)
            {
                return null;
            }
        }

        return messages;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    private static string? GetString(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

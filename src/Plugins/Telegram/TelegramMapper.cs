using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.Telegram;

/// <summary>A file a customer's message carries, to fetch with <c>getFile</c> before the message is stored.</summary>
internal sealed record TelegramFile(string FileId, string Kind, string? FileName, string? ContentType, long? Size);

/// <summary>A user blocked the bot (<c>kicked</c>) or unblocked / restarted it (<c>member</c>) in their private chat.</summary>
internal sealed record TelegramBlockChange(string UserId, bool Blocked);

/// <summary>
/// One update, mapped: the message, the file to fetch (if any), and what to tell the contact's profile afterwards; or,
/// with no message, a block or unblock of the bot to record.
/// </summary>
internal sealed record TelegramUpdate(InboundMessage? Message, TelegramFile? File, string? Language, TelegramBlockChange? BlockChange = null);

/// <summary>
/// Telegram's payloads to and from the common model, in one place. A webhook body is one Update
/// (<c>{"update_id":…,"message":{"message_id","from","chat","date","text"|"photo"|"document"|…}}</c>); a message's
/// provider id is <c>{chat.id}:{message_id}</c>, an edit's <c>{chat.id}:{message_id}:edit:{edit_date}</c>.
/// </summary>
internal static class TelegramMapper
{
    /// <summary>Telegram lets bots download files up to 20 MB (getFile).</summary>
    public const long MaxDownloadBytes = 20L * 1024 * 1024;

    /// <summary>Update fields carrying a message the bot shows as one.</summary>
    private static readonly string[] MessageFields = ["message", "edited_message", "business_message", "edited_business_message"];

    /// <summary>Contents a message can have besides text, photos and documents: shown to the agent as unsupported.</summary>
    private static readonly string[] OtherContents =
    [
        "sticker", "voice", "video", "video_note", "audio", "animation", "location", "venue", "contact", "poll", "dice",
        "game", "invoice", "successful_payment", "story", "paid_media", "giveaway", "new_chat_members", "left_chat_member",
        "new_chat_title", "new_chat_photo", "pinned_message",
    ];

    /// <summary>
    /// <c>/start</c> (or <c>/start@bot</c> in a group) and what follows: a deep link's payload
    /// (<c>t.me/bot?start=PAYLOAD</c>), which Telegram limits to 64 of <c>A-Z a-z 0-9 _ -</c>.
    /// </summary>
    private static readonly Regex StartCommand = new(@"^/start(?:@[A-Za-z0-9_]+)?(?:[ \t]+(?<payload>.*))?\z", RegexOptions.CultureInvariant | RegexOptions.Singleline);

    private static readonly Regex StartPayload = new(@"^[A-Za-z0-9_-]{1,64}\z", RegexOptions.CultureInvariant);

    /// <summary>An IETF tag as Telegram gives it (<c>de</c>, <c>pt-br</c>); anything else is not passed on.</summary>
    private static readonly Regex LanguageTag = new(@"^[A-Za-z]{2,8}(?:-[A-Za-z0-9]{1,8})*\z", RegexOptions.CultureInvariant);

    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    /// <summary>
    /// The update as a message; (null, null) for an update no person sent (nothing to show: a poll's tally); or null and
    /// the reason when the body is malformed.
    /// </summary>
    public static (TelegramUpdate? Update, string? Error) ToUpdate(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, StrictJson);
        }
        catch (JsonException)
        {
            return (null, "the body is not valid JSON (or repeats a property)");
        }

        using (document)
        {
            return ToUpdate(document.RootElement);
        }
    }

    /// <summary>One Update object (a webhook's body, an item of <c>getUpdates</c>), mapped as <see cref="ToUpdate(ReadOnlyMemory{byte})"/>.</summary>
    public static (TelegramUpdate? Update, string? Error) ToUpdate(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("update_id", out var updateId) || !updateId.TryGetInt64(out var update))
        {
            return (null, "update_id is required (a number)");
        }

        foreach (var field in MessageFields)
        {
            if (root.TryGetProperty(field, out var message))
            {
                return ToMessage(message, field, edited: field.StartsWith("edited_", StringComparison.Ordinal));
            }
        }

        // The user blocked or unblocked the bot: recorded, not shown as a message.
        if (root.TryGetProperty("my_chat_member", out var member))
        {
            return ToBlockChange(member);
        }

        // Another kind of update (a button pressed, a channel post): shown as such when a person sent it.
        foreach (var property in root.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object && property.Value.TryGetProperty("from", out var from) && UserOf(from) is { } sender)
            {
                var inbound = new InboundMessage
                {
                    ProviderMessageId = $"update:{update.ToString(CultureInfo.InvariantCulture)}",
                    Sender = sender,
                    Text = "",
                    Unsupported = new UnsupportedContent { Kind = property.Name.ToLowerInvariant() },
                };
                return (new TelegramUpdate(inbound, null, sender.Language), null);
            }
        }

        return (null, null);
    }

    private static (TelegramUpdate? Update, string? Error) ToMessage(JsonElement message, string field, bool edited)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{field} must be an object");
        }

        if (!message.TryGetProperty("message_id", out var messageIdValue) || !messageIdValue.TryGetInt64(out var messageId))
        {
            return (null, $"{field}.message_id is required (a number)");
        }

        if (!message.TryGetProperty("chat", out var chat) || chat.ValueKind != JsonValueKind.Object
            || !chat.TryGetProperty("id", out var chatIdValue) || !chatIdValue.TryGetInt64(out var chatId))
        {
            return (null, $"{field}.chat.id is required (a number)");
        }

        var chatKey = chatId.ToString(CultureInfo.InvariantCulture);
        var from = message.TryGetProperty("from", out var fromValue) ? UserOf(fromValue) : null;
        if (from is null)
        {
            return (null, $"{field}.from is required (a user with an id)");
        }

        var date = UnixSeconds(message, "date");
        var editDate = UnixSeconds(message, "edit_date");
        var id = $"{chatKey}:{messageId.ToString(CultureInfo.InvariantCulture)}";
        if (edited)
        {
            id += $":edit:{(editDate ?? date)?.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture) ?? "0"}";
        }

        var text = GetString(message, "text") ?? GetString(message, "caption") ?? "";
        var type = GetString(chat, "type");
        var inbound = new InboundMessage
        {
            ProviderMessageId = id,
            Sender = from,
            Text = edited ? $"[edited] {text}" : text,
            SentAt = edited ? editDate ?? date : date,
            Chat = type is "group" or "supergroup" ? new ChannelChat { ExternalId = chatKey, Kind = ChatKind.Group, Title = GetString(chat, "title") } : null,
            Origin = edited ? null : DeepLinkOf(GetString(message, "text")),
        };

        var file = FileOf(message);
        if (file is null && GetString(message, "text") is null)
        {
            var kind = OtherContents.FirstOrDefault(name => message.TryGetProperty(name, out _)) ?? "message";
            var summary = kind == "sticker" && message.GetProperty("sticker") is { ValueKind: JsonValueKind.Object } sticker ? GetString(sticker, "emoji") : null;
            inbound = inbound with { Unsupported = new UnsupportedContent { Kind = kind, Summary = summary } };
        }

        return (new TelegramUpdate(inbound, file, from.Language), null);
    }

    /// <summary>
    /// A deep link's start (<c>/start promo42</c>) as the message's origin; null for a bare <c>/start</c> (typed, or a
    /// plain link: it tells nothing of where the customer came from) and for a payload Telegram would not have sent.
    /// </summary>
    private static MessageOrigin? DeepLinkOf(string? text)
    {
        var match = text is null ? null : StartCommand.Match(text);
        return match is { Success: true } && match.Groups["payload"].Value.Trim() is var payload && StartPayload.IsMatch(payload)
            ? new MessageOrigin { Kind = "deep-link", Reference = payload }
            : null;
    }

    /// <summary>
    /// <c>my_chat_member</c>: in a private chat, <c>kicked</c> is the user blocking the bot, <c>member</c> unblocking or
    /// restarting it. Any other change (a group's, another status) is acknowledged and not recorded.
    /// </summary>
    private static (TelegramUpdate? Update, string? Error) ToBlockChange(JsonElement member)
    {
        if (member.ValueKind != JsonValueKind.Object || !member.TryGetProperty("from", out var fromValue) || UserOf(fromValue) is not { } from)
        {
            return (null, "my_chat_member.from is required (a user with an id)");
        }

        var chatType = member.TryGetProperty("chat", out var chat) ? GetString(chat, "type") : null;
        var status = member.TryGetProperty("new_chat_member", out var updated) ? GetString(updated, "status") : null;
        return (chatType, status) switch
        {
            ("private", "kicked") => (new TelegramUpdate(null, null, null, new TelegramBlockChange(from.ExternalId, Blocked: true)), null),
            ("private", "member") => (new TelegramUpdate(null, null, null, new TelegramBlockChange(from.ExternalId, Blocked: false)), null),
            _ => (null, null),
        };
    }

    /// <summary>The photo (its largest size) or document of a message, if it has one.</summary>
    private static TelegramFile? FileOf(JsonElement message)
    {
        if (message.TryGetProperty("photo", out var sizes) && sizes.ValueKind == JsonValueKind.Array)
        {
            JsonElement? largest = null;
            long largestArea = -1;
            foreach (var size in sizes.EnumerateArray())
            {
                var area = Number(size, "width") * Number(size, "height");
                if (size.ValueKind == JsonValueKind.Object && GetString(size, "file_id") is not null && area >= largestArea)
                {
                    (largest, largestArea) = (size, area);
                }
            }

            return largest is { } photo
                ? new TelegramFile(GetString(photo, "file_id")!, "photo", "photo.jpg", "image/jpeg", Number(photo, "file_size") is > 0 and var bytes ? bytes : null)
                : null;
        }

        if (message.TryGetProperty("document", out var document) && document.ValueKind == JsonValueKind.Object && GetString(document, "file_id") is { } fileId)
        {
            return new TelegramFile(fileId, "document", GetString(document, "file_name"), GetString(document, "mime_type"),
                Number(document, "file_size") is > 0 and var bytes ? bytes : null);
        }

        return null;
    }

    /// <summary>A Telegram user as the sender: the user id (the private chat's id too), the name they set.</summary>
    private static ChannelSender? UserOf(JsonElement user)
    {
        if (user.ValueKind != JsonValueKind.Object || !user.TryGetProperty("id", out var idValue) || !idValue.TryGetInt64(out var id))
        {
            return null;
        }

        var name = string.Join(' ', new[] { GetString(user, "first_name"), GetString(user, "last_name") }.Where(part => !string.IsNullOrWhiteSpace(part))).Trim();
        var language = GetString(user, "language_code");
        return new ChannelSender
        {
            ExternalId = id.ToString(CultureInfo.InvariantCulture),
            DisplayName = name.Length == 0 ? null : name,
            Language = language is { Length: <= 35 } && LanguageTag.IsMatch(language) ? language : null,
        };
    }

    private static DateTimeOffset? UnixSeconds(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.TryGetInt64(out var seconds) && seconds is > 0 and < 253402300799
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : null;

    private static long Number(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : 0;

    private static string? GetString(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

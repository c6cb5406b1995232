using System.Globalization;
using System.Text;
using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Api;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>A customer's message, and the media Meta holds for it (fetched before the message is given to the gateway).</summary>
internal sealed record WhatsAppInbound(InboundMessage Message, WhatsAppMedia? Media);

/// <summary>A media object of a message: Graph's id for it, the kind (<c>image</c>, <c>document</c>, …), a file name, the type.</summary>
internal sealed record WhatsAppMedia(string Id, string Kind, string? FileName, string? MimeType);

/// <summary>What one webhook carries for this instance's number.</summary>
internal sealed record WhatsAppWebhook(IReadOnlyList<WhatsAppInbound> Messages, IReadOnlyList<DeliveryStatusUpdate> Statuses, int Ignored);

/// <summary>
/// WhatsApp Cloud API payloads to and from the common model, in one place. A webhook body is
/// <c>{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id"},
/// "contacts":[{"profile":{"name"},"wa_id"}],"messages":[…],"statuses":[…]}}]}]}</c>; timestamps are Unix seconds as strings.
/// </summary>
internal static class WhatsAppMapper
{
    /// <summary>Graph's limit for a text message's body.</summary>
    public const int MaxTextLength = 4096;

    /// <summary>Graph's limit for a media caption.</summary>
    public const int MaxCaptionLength = 1024;

    /// <summary>Kinds whose media is fetched and stored as an attachment.</summary>
    private static readonly HashSet<string> MediaKinds = new(StringComparer.Ordinal) { "image", "document", "audio", "video" };

    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false, MaxDepth = 32 };

    /// <summary>The webhook's messages and statuses for <paramref name="phoneNumberId"/>, in order; or null and the reason when the body is malformed.</summary>
    public static (WhatsAppWebhook? Webhook, string? Error) ToWebhook(ReadOnlyMemory<byte> body, string phoneNumberId)
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
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("entry", out var entries) || entries.ValueKind != JsonValueKind.Array)
            {
                return (null, "entry is required (an array)");
            }

            var messages = new List<WhatsAppInbound>();
            var statuses = new List<DeliveryStatusUpdate>();
            var ignored = 0;
            var e = 0;
            foreach (var entry in entries.EnumerateArray())
            {
                if (entry.ValueKind != JsonValueKind.Object || !entry.TryGetProperty("changes", out var changes) || changes.ValueKind != JsonValueKind.Array)
                {
                    return (null, $"entry[{e}].changes is required (an array)");
                }

                var c = 0;
                foreach (var change in changes.EnumerateArray())
                {
                    var where = $"entry[{e}].changes[{c}]";
                    if (change.ValueKind != JsonValueKind.Object || !change.TryGetProperty("value", out var value) || value.ValueKind != JsonValueKind.Object)
                    {
                        return (null, $"{where}.value is required (an object)");
                    }

                    // Another field (account updates, templates' status) or another number of the same business: not ours.
                    var number = value.TryGetProperty("metadata", out var metadata) ? GetString(metadata, "phone_number_id") : null;
                    if (GetString(change, "field") != "messages" || number != phoneNumberId)
                    {
                        ignored++;
                        c++;
                        continue;
                    }

                    var error = ReadChange(value, $"{where}.value", messages, statuses, ref ignored);
                    if (error is not null)
                    {
                        return (null, error);
                    }

                    c++;
                }

                e++;
            }

            return (new WhatsAppWebhook(messages, statuses, ignored), null);
        }
    }

    private static string? ReadChange(JsonElement value, string where, List<WhatsAppInbound> messages, List<DeliveryStatusUpdate> statuses, ref int ignored)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        if (value.TryGetProperty("contacts", out var contacts) && contacts.ValueKind == JsonValueKind.Array)
        {
            foreach (var contact in contacts.EnumerateArray())
            {
                if (contact.ValueKind == JsonValueKind.Object && GetString(contact, "wa_id") is { } waId
                    && contact.TryGetProperty("profile", out var profile) && GetString(profile, "name") is { Length: > 0 } name)
                {
                    names[waId] = name;
                }
            }
        }

        if (value.TryGetProperty("messages", out var items) && items.ValueKind == JsonValueKind.Array)
        {
            var i = 0;
            foreach (var item in items.EnumerateArray())
            {
                var (message, error) = ToInbound(item, $"{where}.messages[{i}]", names);
                if (message is null)
                {
                    return error;
                }

                messages.Add(message);
                i++;
            }
        }

        if (value.TryGetProperty("statuses", out var reports) && reports.ValueKind == JsonValueKind.Array)
        {
            foreach (var report in reports.EnumerateArray())
            {
                if (ToStatus(report) is { } status)
                {
                    statuses.Add(status);
                }
                else
                {
                    ignored++;
                }
            }
        }

        return null;
    }

    private static (WhatsAppInbound? Message, string? Error) ToInbound(JsonElement item, string where, Dictionary<string, string> names)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{where} must be an object");
        }

        var id = GetString(item, "id");
        var from = GetString(item, "from");
        var type = GetString(item, "type");
        if (string.IsNullOrWhiteSpace(id))
        {
            return (null, $"{where}.id is required");
        }

        if (string.IsNullOrWhiteSpace(from))
        {
            return (null, $"{where}.from is required");
        }

        if (string.IsNullOrWhiteSpace(type))
        {
            return (null, $"{where}.type is required");
        }

        DateTimeOffset? sentAt = null;
        if (GetString(item, "timestamp") is { } timestamp)
        {
            if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) || seconds > DateTimeOffset.MaxValue.ToUnixTimeSeconds())
            {
                return (null, $"{where}.timestamp must be Unix seconds");
            }

            sentAt = DateTimeOffset.FromUnixTimeSeconds(seconds);
        }

        // wa_id is the customer's phone number without '+': proven by WhatsApp, so it joins the contact of the same SMS number.
        var message = new InboundMessage
        {
            ProviderMessageId = id,
            Sender = new ChannelSender
            {
                ExternalId = from,
                Phone = IsDigits(from) ? "+" + from : null,
                DisplayName = names.GetValueOrDefault(from),
            },
            Text = "",
            SentAt = sentAt,
            Origin = Referral(item),
        };

        var content = item.TryGetProperty(type, out var c) && c.ValueKind == JsonValueKind.Object ? c : default;
        switch (type)
        {
            case "text":
                var body = content.ValueKind == JsonValueKind.Object ? GetString(content, "body") : null;
                return string.IsNullOrEmpty(body)
                    ? (null, $"{where}.text.body is required for a text message")
                    : (new WhatsAppInbound(message with { Text = body }, null), null);

            case var kind when MediaKinds.Contains(kind):
                var mediaId = content.ValueKind == JsonValueKind.Object ? GetString(content, "id") : null;
                if (string.IsNullOrWhiteSpace(mediaId))
                {
                    return (null, $"{where}.{kind}.id is required");
                }

                var media = new WhatsAppMedia(mediaId, kind, GetString(content, "filename"), GetString(content, "mime_type"));
                return (new WhatsAppInbound(message with { Text = GetString(content, "caption") ?? "" }, media), null);

            case "location":
                return (new WhatsAppInbound(message with { Text = LocationText(content) }, null), null);

            default:
                // A sticker, a reaction, a contact card, a button's answer, or a type Meta added later: the agent sees it came.
                return (new WhatsAppInbound(message with { Unsupported = new UnsupportedContent { Kind = type.ToLowerInvariant(), Summary = Summary(type, content, item) } }, null), null);
        }
    }

    /// <summary>
    /// A click-to-WhatsApp ad's or a post's <c>referral</c> (<c>source_url</c>, <c>source_id</c>, <c>source_type</c> ad or post,
    /// <c>headline</c>, <c>body</c>, …) as where the customer came from; null when the message has none.
    /// </summary>
    private static MessageOrigin? Referral(JsonElement item)
    {
        if (!item.TryGetProperty("referral", out var referral) || referral.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        // Only a web address is a link for agents to open; anything else (javascript:, data:) is dropped.
        var url = Uri.TryCreate(GetString(referral, "source_url"), UriKind.Absolute, out var address)
            && (address.Scheme == Uri.UriSchemeHttps || address.Scheme == Uri.UriSchemeHttp) && address.OriginalString.Length <= 2048
            ? address.OriginalString
            : null;
        return new MessageOrigin
        {
            Kind = GetString(referral, "source_type") == "post" ? "post" : "ad",
            Reference = Clip(GetString(referral, "source_id"), 256),
            Url = url,
            Title = Clip(GetString(referral, "headline"), 256),
        };
    }

    private static string? Clip(string? value, int max) =>
        string.IsNullOrWhiteSpace(value) ? null : value.Length <= max ? value : value[..(max - 1)] + "…";

    /// <summary>A location as text: its name, its address, and the coordinates with a map link.</summary>
    private static string LocationText(JsonElement location)
    {
        if (location.ValueKind != JsonValueKind.Object)
        {
            return "Location";
        }

        var text = new StringBuilder("Location");
        if (GetString(location, "name") is { Length: > 0 } name)
        {
            text.Append(": ").Append(name);
        }

        if (GetString(location, "address") is { Length: > 0 } address)
        {
            text.Append('\n').Append(address);
        }

        if (location.TryGetProperty("latitude", out var lat) && lat.ValueKind == JsonValueKind.Number
            && location.TryGetProperty("longitude", out var lon) && lon.ValueKind == JsonValueKind.Number)
        {
            var coordinates = string.Create(CultureInfo.InvariantCulture, $"{lat.GetDouble()},{lon.GetDouble()}");
            text.Append('\n').Append(coordinates).Append(" (https://maps.google.com/?q=").Append(coordinates).Append(')');
        }

        return text.ToString();
    }

    private static string? Summary(string type, JsonElement content, JsonElement item)
    {
        switch (type)
        {
            case "reaction" when content.ValueKind == JsonValueKind.Object:
                return GetString(content, "emoji") is { Length: > 0 } emoji ? $"reacted {emoji} to a message" : "removed a reaction";
            case "button" when content.ValueKind == JsonValueKind.Object:
                return GetString(content, "text");
            case "interactive" when content.ValueKind == JsonValueKind.Object:
                foreach (var reply in new[] { "button_reply", "list_reply" })
                {
                    if (content.TryGetProperty(reply, out var r) && r.ValueKind == JsonValueKind.Object && GetString(r, "title") is { } title)
                    {
                        return title;
                    }
                }

                return null;
            case "contacts":
                if (item.TryGetProperty("contacts", out var cards) && cards.ValueKind == JsonValueKind.Array)
                {
                    var names = cards.EnumerateArray()
                        .Select(card => card.ValueKind == JsonValueKind.Object && card.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.Object ? GetString(n, "formatted_name") : null)
                        .OfType<string>()
                        .ToList();
                    return names.Count > 0 ? string.Join(", ", names) : null;
                }

                return null;
            case "unsupported":
                return item.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
                    ? errors.EnumerateArray().Select(error => error.ValueKind == JsonValueKind.Object ? GetString(error, "title") : null).OfType<string>().FirstOrDefault()
                    : null;
            default:
                return null;
        }
    }

    /// <summary>A status report as a delivery update: read counts as delivered; null for one the gateway has no status for.</summary>
    private static DeliveryStatusUpdate? ToStatus(JsonElement report)
    {
        if (report.ValueKind != JsonValueKind.Object || GetString(report, "id") is not { Length: > 0 } id)
        {
            return null;
        }

        return GetString(report, "status") switch
        {
            "sent" => new DeliveryStatusUpdate(id, DeliveryStatus.Sent),
            "delivered" or "read" => new DeliveryStatusUpdate(id, DeliveryStatus.Delivered),
            "failed" => new DeliveryStatusUpdate(id, DeliveryStatus.Failed, FailureReason(report)),
            _ => null,
        };
    }

    private static string FailureReason(JsonElement report)
    {
        if (report.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Array
            && errors.EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } error)
        {
            var code = error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.Number && c.TryGetInt32(out var n) ? n : (int?)null;
            if (code == GraphError.ReEngagementCode)
            {
                return GraphError.WindowClosedReason;
            }

            var title = GetString(error, "title") ?? GetString(error, "message");
            return code is null ? title ?? "failed" : $"{title ?? "failed"} (code {code})";
        }

        return "WhatsApp could not deliver the message";
    }

    private static bool IsDigits(string value) => value.Length is > 0 and <= 15 && value.All(char.IsAsciiDigit);

    internal static string? GetString(JsonElement item, string name) =>
        item.ValueKind == JsonValueKind.Object && item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

using System.Globalization;
using System.Text.RegularExpressions;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Media;
using ChatGateway.Plugins.Sms.Sending;

using Microsoft.Extensions.Primitives;

namespace ChatGateway.Plugins.Sms;

/// <summary>
/// A customer's choice of what the shop may start with them, read from an inbound SMS. <paramref name="Decline"/>: it only
/// narrows what they accept (退订 after "nothing at all" still means nothing), recorded with <see cref="IOutreachPreferences.DeclineAsync"/>.
/// </summary>
internal sealed record OutreachChoice(OutreachPreference Preference, bool ThisChannelOnly, bool Decline = false);

/// <summary>One media file of an inbound MMS: <c>MediaUrl{Index}</c> and the type Twilio gave in <c>MediaContentType{Index}</c>.</summary>
internal sealed record TwilioMediaItem(int Index, Uri Url, string? ContentType);

/// <summary>The one place that translates between Twilio's payloads and the gateway's model.</summary>
internal static partial class TwilioMapper
{
    /// <summary>Twilio's limit of media files per message, both ways.</summary>
    public const int MaxMedia = 10;

    public static readonly string[] InboundRequiredFields = ["MessageSid", "From", "Body"];

    public static readonly string[] StatusRequiredFields = ["MessageSid", "MessageStatus"];

    /// <summary>The reason to answer 400 with when required fields are absent, or null when all are there.</summary>
    public static string? MissingFields(IReadOnlyDictionary<string, StringValues> form, IEnumerable<string> required)
    {
        // Body may be empty (the sink decides whether that is acceptable) but must be present.
        var missing = required
            .Where(field => !form.TryGetValue(field, out var value) || (field != "Body" && string.IsNullOrWhiteSpace(value)))
            .Select(field => $"{field} is required")
            .ToList();
        return missing.Count == 0 ? null : string.Join("; ", missing);
    }

    /// <summary>An inbound message webhook (the form Twilio posts to <c>/messages</c>).</summary>
    public static InboundMessage ToInboundMessage(IReadOnlyDictionary<string, StringValues> form)
    {
        var from = Field(form, "From") ?? throw new ArgumentException("From is required", nameof(form));
        return new InboundMessage
        {
            ProviderMessageId = Field(form, "MessageSid") ?? throw new ArgumentException("MessageSid is required", nameof(form)),
            Sender = new ChannelSender
            {
                ExternalId = from,
                // Short codes and alphanumeric senders are not phone numbers and must not join contacts.
                Phone = SmsOptionsValidator.IsE164(from) ? from : null,
            },
            Text = Field(form, "Body") ?? "",
        };
    }

    /// <summary>
    /// The media of an inbound MMS (<c>NumMedia</c>, <c>MediaUrl0</c>.., <c>MediaContentType0</c>..), or the reason to answer 400
    /// with: a <c>NumMedia</c> that is not a whole number from 0 to 10, a missing <c>MediaUrlN</c> below it, one beyond it, or a
    /// URL that is not on the configured API host (the credentials go with every fetch, so no other host is ever fetched).
    /// No <c>NumMedia</c> at all is an SMS without media.
    /// </summary>
    public static (IReadOnlyList<TwilioMediaItem> Media, string? Error) ReadMedia(IReadOnlyDictionary<string, StringValues> form, Uri apiBase)
    {
        var count = 0;
        if (form.TryGetValue("NumMedia", out var numMedia)
            && (!int.TryParse(numMedia.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out count) || count > MaxMedia))
        {
            return ([], $"NumMedia must be a whole number from 0 to {MaxMedia}");
        }

        foreach (var key in form.Keys)
        {
            if (MediaField().Match(key) is { Success: true } match
                && (!int.TryParse(match.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var index) || index >= count))
            {
                return ([], $"{key} is not expected (NumMedia is {count})");
            }
        }

        var media = new List<TwilioMediaItem>(count);
        for (var i = 0; i < count; i++)
        {
            var value = Field(form, $"MediaUrl{i}");
            if (string.IsNullOrWhiteSpace(value))
            {
                return ([], $"MediaUrl{i} is required (NumMedia is {count})");
            }

            if (!Uri.TryCreate(value, UriKind.Absolute, out var url) || !TwilioMediaClient.IsApiHost(url, apiBase))
            {
                return ([], $"MediaUrl{i} is not a URL on the Twilio API host ({apiBase.Host})");
            }

            var contentType = Field(form, $"MediaContentType{i}");
            media.Add(new TwilioMediaItem(i, url, string.IsNullOrWhiteSpace(contentType) ? null : contentType.Trim()));
        }

        return (media, null);
    }

    /// <summary>
    /// The text to store for an MMS: its body, then a line per file that was not kept, so the agent knows the customer sent
    /// more than they see (a photo-only MMS whose photo was refused still reaches the agent).
    /// </summary>
    public static string WithNotes(string body, IReadOnlyList<string> notes) =>
        notes.Count == 0 ? body : string.Join("\n", string.IsNullOrEmpty(body) ? notes : [body, .. notes]);

    /// <summary>The name to store a media file under: the last segment of its URL (Twilio's media sid) and an extension for its type.</summary>
    public static string MediaFileName(TwilioMediaItem item)
    {
        var name = item.Url.Segments.LastOrDefault()?.Trim('/') is { Length: > 0 } last ? Uri.UnescapeDataString(last) : $"media{item.Index}";
        var type = item.ContentType?.Split(';', 2)[0].Trim().ToLowerInvariant();
        return type is not null && Extensions.TryGetValue(type, out var extension) && !name.EndsWith(extension, StringComparison.OrdinalIgnoreCase)
            ? name + extension
            : name;
    }

    private static readonly Dictionary<string, string> Extensions = new(StringComparer.Ordinal)
    {
        ["image/jpeg"] = ".jpg",
        ["image/jpg"] = ".jpg",
        ["image/png"] = ".png",
        ["image/gif"] = ".gif",
        ["image/bmp"] = ".bmp",
        ["image/webp"] = ".webp",
        ["image/heic"] = ".heic",
        ["image/heif"] = ".heif",
        ["image/tiff"] = ".tiff",
        ["video/mp4"] = ".mp4",
        ["video/3gpp"] = ".3gp",
        ["video/quicktime"] = ".mov",
        ["video/mpeg"] = ".mpeg",
        ["video/webm"] = ".webm",
        ["audio/mpeg"] = ".mp3",
        ["audio/mp4"] = ".m4a",
        ["audio/ogg"] = ".ogg",
        ["audio/amr"] = ".amr",
        ["audio/wav"] = ".wav",
        ["audio/3gpp"] = ".3gp",
        ["text/plain"] = ".txt",
        ["text/vcard"] = ".vcf",
        ["text/x-vcard"] = ".vcf",
        ["text/calendar"] = ".ics",
        ["application/pdf"] = ".pdf",
    };

    /// <summary>
    /// What an inbound SMS says about the messages the shop may start, or null for an ordinary message. Twilio's
    /// Advanced Opt-Out names it in <c>OptOutType</c> (STOP, START, HELP) and that wins; otherwise the whole message,
    /// trimmed, in any case: the carrier keywords STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT stop this number and
    /// START, UNSTOP, YES start it again (this number only; a choice made elsewhere stays); 退订, TD, T, N (the Chinese SMS
    /// marketing convention, 回TD退订) decline marketing on every channel, never allowing more than before; 订阅 accepts
    /// everything again on every channel (a STOP of this number stays until START: the carrier blocks the number until
    /// then). A sentence that only contains "stop" is an ordinary message.
    /// </summary>
    public static OutreachChoice? ToOutreachChoice(IReadOnlyDictionary<string, StringValues> form)
    {
        var optOutType = Field(form, "OptOutType")?.Trim();
        if (!string.IsNullOrEmpty(optOutType))
        {
            return optOutType.ToUpperInvariant() switch
            {
                "STOP" => new OutreachChoice(OutreachPreference.None, ThisChannelOnly: true),
                "START" => new OutreachChoice(OutreachPreference.All, ThisChannelOnly: true),
                _ => null, // HELP: Twilio answered it; nothing changes
            };
        }

        var text = Field(form, "Body")?.Trim();
        if (string.IsNullOrEmpty(text) || text.Length > 12)
        {
            return null;
        }

        return text.ToUpperInvariant() switch
        {
            "STOP" or "STOPALL" or "UNSUBSCRIBE" or "CANCEL" or "END" or "QUIT" => new OutreachChoice(OutreachPreference.None, ThisChannelOnly: true),
            "START" or "UNSTOP" or "YES" => new OutreachChoice(OutreachPreference.All, ThisChannelOnly: true),
            "退订" or "TD" or "T" or "N" => new OutreachChoice(OutreachPreference.NoMarketing, ThisChannelOnly: false, Decline: true),
            "订阅" => new OutreachChoice(OutreachPreference.All, ThisChannelOnly: false),
            _ => null,
        };
    }

    /// <summary>A status callback, or null when its status says nothing about delivery (e.g. <c>receiving</c>).</summary>
    public static DeliveryStatusUpdate? ToDeliveryStatusUpdate(IReadOnlyDictionary<string, StringValues> form)
    {
        var sid = Field(form, "MessageSid") ?? throw new ArgumentException("MessageSid is required", nameof(form));
        var status = Field(form, "MessageStatus")?.Trim().ToLowerInvariant();
        return status switch
        {
            "accepted" or "scheduled" or "queued" or "sending" or "sent" => new DeliveryStatusUpdate(sid, DeliveryStatus.Sent),
            "delivered" or "read" => new DeliveryStatusUpdate(sid, DeliveryStatus.Delivered),
            "undelivered" or "failed" or "canceled" => new DeliveryStatusUpdate(sid, DeliveryStatus.Failed, FailureReason(form, status)),
            _ => null,
        };
    }

    /// <summary>The number to send to: the recipient's phone, else the id it wrote from (which is its number).</summary>
    public static string? RecipientNumber(ChannelRecipient recipient)
    {
        var number = string.IsNullOrWhiteSpace(recipient.Phone) ? recipient.ExternalId : recipient.Phone;
        return string.IsNullOrWhiteSpace(number) ? null : number.Trim();
    }

    /// <summary>
    /// The <c>I-Twilio-Idempotency-Token</c> header of a create-message request: the message's
    /// <see cref="OutboundMessage.MessageId"/>, the same on every attempt to send it. Twilio uses this header name for the
    /// key of the webhooks it sends; a server that deduplicates on it (a Twilio-compatible one, a proxy) then sends a
    /// retried message once. Twilio ignores a header it does not use, so it costs nothing where nothing reads it.
    /// </summary>
    public static string IdempotencyToken(OutboundMessage message) => message.MessageId.ToString("N");

    /// <summary>The form of <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>.</summary>
    /// <remarks>
    /// Twilio documents no idempotency key for its Messages API (no form parameter makes a repeated create a no-op): an
    /// attempt whose answer was lost and is retried can reach the customer twice, and only the gateway's one-owner-per-send
    /// rule keeps instances from adding to that. The request still carries <see cref="IdempotencyToken"/> as a header.
    /// </remarks>
    /// <param name="mediaUrls">The public URLs of the message's files, one <c>MediaUrl</c> field each (Twilio fetches them).</param>
    public static List<KeyValuePair<string, string>> ToCreateMessageForm(
        OutboundMessage message, string to, SmsOptions options, string instanceId, IReadOnlyList<string>? mediaUrls = null)
    {
        var form = new List<KeyValuePair<string, string>> { new("To", to), new("From", options.FromNumber) };

        // Twilio takes a message without Body when it carries media; with neither it answers 21602.
        if (message.Text.Length > 0 || mediaUrls is not { Count: > 0 })
        {
            form.Add(new("Body", message.Text));
        }

        foreach (var url in mediaUrls ?? [])
        {
            form.Add(new("MediaUrl", url));
        }

        if (options.StatusCallback)
        {
            form.Add(new("StatusCallback", StatusCallbackUrl(options, instanceId)));
        }

        return form;
    }

    public static string StatusCallbackUrl(SmsOptions options, string instanceId) =>
        options.PublicUrlFor($"/channels/{Uri.EscapeDataString(instanceId)}/status");

    /// <summary>Judges Twilio's answer: 2xx sent; 408, 429, 5xx and no answer retried; any other 4xx final.</summary>
    public static DeliveryResult ToDeliveryResult(TwilioSendResult result)
    {
        if (result.TransportError is not null || result.StatusCode is not { } status)
        {
            return DeliveryResult.Transient(result.TransportError ?? "could not reach Twilio");
        }

        if (result.IsAccepted)
        {
            return DeliveryResult.Sent(result.Sid);
        }

        if (status is 408 or 429 or >= 500)
        {
            return result.RetryAfter is { } wait
                ? DeliveryResult.Transient($"Twilio returned {status} (retry after {wait.TotalSeconds:0} s)", wait)
                : DeliveryResult.Transient($"Twilio returned {status}");
        }

        return DeliveryResult.Permanent(result.Error switch
        {
            { Code: { } code, Message: { Length: > 0 } text } => $"Twilio error {code}: {text}",
            { Code: { } code } => $"Twilio error {code}",
            { Message: { Length: > 0 } text } => $"Twilio returned {status}: {text}",
            _ => $"Twilio returned {status}",
        });
    }

    private static string FailureReason(IReadOnlyDictionary<string, StringValues> form, string status) =>
        Field(form, "ErrorCode") is { Length: > 0 } code ? $"Twilio error {code}" : $"Twilio reported {status}";

    private static string? Field(IReadOnlyDictionary<string, StringValues> form, string name) =>
        form.TryGetValue(name, out var value) ? value.ToString() : null;

    [GeneratedRegex(@"^MediaUrl(.+)$", RegexOptions.CultureInvariant)]
    private static partial Regex MediaField();
}

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Sending;

using Microsoft.Extensions.Primitives;

namespace ChatGateway.Plugins.Sms;

/// <summary>
/// A customer's choice of what the shop may start with them, read from an inbound SMS. <paramref name="Decline"/>: it only
/// narrows what they accept (退订 after "nothing at all" still means nothing), recorded with <see cref="IOutreachPreferences.DeclineAsync"/>.
/// </summary>
internal sealed record OutreachChoice(OutreachPreference Preference, bool ThisChannelOnly, bool Decline = false);

/// <summary>The one place that translates between Twilio's payloads and the gateway's model.</summary>
internal static class TwilioMapper
{
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

    /// <summary>The form of <c>POST /2010-04-01/Accounts/{sid}/Messages.json</c>.</summary>
    /// <remarks>
    /// Twilio's Messages API takes no idempotency key (no parameter or header makes a repeated create a no-op), so
    /// <see cref="OutboundMessage.MessageId"/> is not sent: an attempt whose answer was lost and is retried can reach
    /// the customer twice, and only the gateway's one-owner-per-send rule keeps instances from adding to that.
    /// </remarks>
    public static Dictionary<string, string> ToCreateMessageForm(OutboundMessage message, string to, SmsOptions options, string instanceId)
    {
        var form = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["To"] = to,
            ["From"] = options.FromNumber,
            ["Body"] = message.Text,
        };

        if (options.StatusCallback)
        {
            form["StatusCallback"] = StatusCallbackUrl(options, instanceId);
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
            return DeliveryResult.Transient($"Twilio returned {status}");
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
}

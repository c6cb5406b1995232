using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Sending;

namespace ChatGateway.Plugins.WhatsApp;

/// <summary>
/// WhatsApp's payloads to and from the common model, in one place. A webhook body is
/// <c>{"events":[{"type":"message","id":"...","from":{"id":"...","name":"..."},"text":"...","timestamp":1765000000000}]}</c>
/// (timestamp in Unix milliseconds); an event of another type is kept as <see cref="UnsupportedContent"/>.
/// </summary>
internal static class WhatsAppMapper
{
    /// <summary>The events a customer writes as text; everything else is shown to the agent as unsupported content.</summary>
    public const string MessageType = "message";

    private static readonly JsonDocumentOptions StrictJson = new() { AllowDuplicateProperties = false, MaxDepth = 16 };

    /// <summary>The webhook's events as inbound messages, in order; or null and the reason when the body is malformed.</summary>
    public static (IReadOnlyList<InboundMessage>? Messages, string? Error) ToInboundMessages(ReadOnlyMemory<byte> body)
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
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("events", out var events)
                || events.ValueKind != JsonValueKind.Array)
            {
                return (null, "events is required (an array)");
            }

            var messages = new List<InboundMessage>();
            var index = 0;
            foreach (var item in events.EnumerateArray())
            {
                var (message, error) = ToInboundMessage(item, $"events[{index}]");
                if (message is null)
                {
                    return (null, error);
                }

                messages.Add(message);
                index++;
            }

            return (messages, null);
        }
    }

    private static (InboundMessage? Message, string? Error) ToInboundMessage(JsonElement item, string where)
    {
        if (item.ValueKind != JsonValueKind.Object)
        {
            return (null, $"{where} must be an object");
        }

        var type = GetString(item, "type");
        var id = GetString(item, "id");
        var from = item.TryGetProperty("from", out var sender) && sender.ValueKind == JsonValueKind.Object ? GetString(sender, "id") : null;
        if (string.IsNullOrWhiteSpace(type))
        {
            return (null, $"{where}.type is required");
        }

        if (string.IsNullOrWhiteSpace(id))
        {
            return (null, $"{where}.id is required");
        }

        if (string.IsNullOrWhiteSpace(from))
        {
            return (null, $"{where}.from.id is required");
        }

        DateTimeOffset? sentAt = null;
        if (item.TryGetProperty("timestamp", out var timestamp))
        {
            if (timestamp.ValueKind != JsonValueKind.Number || !timestamp.TryGetInt64(out var milliseconds)
                || milliseconds < 0 || milliseconds > DateTimeOffset.MaxValue.ToUnixTimeMilliseconds())
            {
                return (null, $"{where}.timestamp must be Unix milliseconds");
            }

            sentAt = DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
        }

        var message = new InboundMessage
        {
            ProviderMessageId = id,
            Sender = new ChannelSender { ExternalId = from, DisplayName = GetString(sender, "name") },
            Text = "",
            SentAt = sentAt,
        };

        if (type != MessageType)
        {
            // A type this plugin does not know yet (a sticker, a new kind the provider added): the agent sees it came.
            return (message with { Unsupported = new UnsupportedContent { Kind = type.ToLowerInvariant() } }, null);
        }

        var text = GetString(item, "text");
        return string.IsNullOrEmpty(text)
            ? (null, $"{where}.text is required for a message")
            : (message with { Text = text }, null);
    }

    /// <summary>The API request that sends an agent's message.</summary>
    public static WhatsAppSendRequest ToSendRequest(OutboundMessage message) => new()
    {
        To = message.Recipient.ExternalId,
        Text = message.Text,
    };

    private static string? GetString(JsonElement item, string name) =>
        item.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}

using System.Text.Json;
using System.Text.RegularExpressions;

namespace ChatGateway.Plugins.WhatsApp.Api;

/// <summary>
/// Graph's error body, <c>{"error":{"message","type","code","error_subcode","error_data":{"details"},"fbtrace_id"}}</c>, and
/// how a send judges it.
/// </summary>
internal sealed partial record GraphError(int? Code, int? Subcode, string? Message, string? TraceId)
{
    /// <summary>Re-engagement message: more than 24 hours since the customer's last message.</summary>
    public const int ReEngagementCode = 131047;

    public const string WindowClosedReason = "the 24-hour customer service window is closed: use a template or another channel";

    /// <summary>Graph's rate limits: application (4), business account (80007), Cloud API throughput (130429), spam (131048), pair (131056).</summary>
    private static readonly HashSet<int> RateLimitCodes = [4, 80007, 130429, 131048, 131056];

    public bool IsRateLimit => Code is { } code && RateLimitCodes.Contains(code);

    /// <summary>The error of a Graph answer's body; null when the body is not Graph's.</summary>
    public static GraphError? Parse(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            if (document.RootElement is not { ValueKind: JsonValueKind.Object } root
                || !root.TryGetProperty("error", out var error) || error.ValueKind != JsonValueKind.Object)
            {
                return null;
            }

            return new GraphError(Int(error, "code"), Int(error, "error_subcode"), WhatsAppMapper.GetString(error, "message"), WhatsAppMapper.GetString(error, "fbtrace_id"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>What to show an agent: the code and Graph's message, with anything like a phone number taken out, at most 200 characters.</summary>
    public string Describe()
    {
        var message = Message is null ? null : PhoneLike().Replace(Message, "[number]");
        var text = $"code {Code?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}{(message is null ? "" : $": {message}")}";
        return text.Length <= 200 ? text : text[..199] + "…";
    }

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;

    [GeneratedRegex(@"\+?\d[\d ]{5,}\d")]
    private static partial Regex PhoneLike();
}

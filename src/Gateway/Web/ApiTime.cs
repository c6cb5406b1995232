using System.Globalization;
using System.Text.Json;

namespace ChatGateway.Gateway.Web;

/// <summary>
/// Times the API takes from the desk: ISO 8601 with a date, a time and an offset (<c>Z</c> or <c>±hh:mm</c>). A time
/// without offset is refused rather than read in the server's zone, which is neither the shop's nor the agent's.
/// </summary>
internal static class ApiTime
{
    public const string Example = "2026-12-07T15:00:00+08:00";

    /// <summary>True when <paramref name="text"/> is a date and time with its offset.</summary>
    public static bool TryParse(string? text, out DateTimeOffset value)
    {
        value = default;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var t = text.IndexOf('T', StringComparison.Ordinal);
        return t >= 0
            && (text.EndsWith('Z') || text.IndexOfAny(['+', '-'], t) > 0)
            && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out value);
    }

    /// <summary>
    /// Reads the time in property <paramref name="field"/> of a JSON body: null and the time, or the reason it cannot be
    /// read, naming the field (<c>dueAt is required: …</c>, <c>dueAt must be a time with its offset, …</c>).
    /// </summary>
    public static string? Read(JsonElement body, string field, out DateTimeOffset value)
    {
        value = default;
        if (body.ValueKind != JsonValueKind.Object || !body.TryGetProperty(field, out var raw) || raw.ValueKind != JsonValueKind.String)
        {
            return $"{field} is required: a time with its offset, e.g. {Example}";
        }

        return TryParse(raw.GetString(), out value) ? null : $"{field} must be a time with its offset, e.g. {Example}";
    }
}

using System.Text.Json;

namespace ChatGateway.Plugins.Line.Api;

/// <summary>LINE's error body, <c>{"message":"...","details":[{"message":"...","property":"..."}]}</c>.</summary>
internal static class LineError
{
    /// <summary>
    /// The error's <c>message</c> and the <c>property</c> of each detail (e.g. <c>messages[0].text</c>), at most 200
    /// characters; null when the body is not LINE's. Detail messages are left out: they may quote the request.
    /// </summary>
    public static string? Describe(string? content)
    {
        if (string.IsNullOrWhiteSpace(content))
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(content);
            if (document.RootElement is not { ValueKind: JsonValueKind.Object } root
                || !root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.String)
            {
                return null;
            }

            var text = message.GetString() ?? "";
            if (root.TryGetProperty("details", out var details) && details.ValueKind == JsonValueKind.Array)
            {
                var properties = details.EnumerateArray()
                    .Where(d => d.ValueKind == JsonValueKind.Object && d.TryGetProperty("property", out var p) && p.ValueKind == JsonValueKind.String)
                    .Select(d => d.GetProperty("property").GetString())
                    .ToList();
                if (properties.Count > 0)
                {
                    text += $" ({string.Join(", ", properties)})";
                }
            }

            return text.Length <= 200 ? text : text[..199] + "…";
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

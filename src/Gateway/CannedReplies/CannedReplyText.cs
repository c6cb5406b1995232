using System.Globalization;
using System.Text.RegularExpressions;
using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.CannedReplies;

/// <summary>A canned reply's rules (shortcut, title, text, variables) and how its variables are filled from a conversation.</summary>
internal static partial class CannedReplyText
{
    public const int MaxShortcut = 20;
    public const int MaxTitle = 100;
    public const int MaxText = 2000;

    /// <summary>The variables a text may use.</summary>
    public static readonly string[] Variables = ["name", "agent", "shop", "order", "state", "product", "amount", "currency", "carrier", "tracking", "cutoff"];

    public static string NormalShortcut(string? shortcut) => (shortcut ?? "").Trim().TrimStart('/').ToLowerInvariant();

    /// <summary>What is wrong with a reply's fields, or null.</summary>
    public static string? Problem(string? shortcut, string? title, string? text)
    {
        var s = NormalShortcut(shortcut);
        if (s.Length == 0)
        {
            return "shortcut is required: a few letters the agent types after /";
        }

        if (s.Length > MaxShortcut || !s.All(char.IsLetterOrDigit))
        {
            return $"shortcut '{s}' must be letters and digits only, at most {MaxShortcut}";
        }

        if (string.IsNullOrWhiteSpace(title))
        {
            return "title is required";
        }

        if (title.Trim().Length > MaxTitle)
        {
            return $"title is {title.Trim().Length} characters; the limit is {MaxTitle}";
        }

        if (string.IsNullOrWhiteSpace(text))
        {
            return "text is required";
        }

        if (text.Trim().Length > MaxText)
        {
            return $"text is {text.Trim().Length} characters; the limit is {MaxText}";
        }

        var unknown = Variable().Matches(text).Select(m => m.Groups[1].Value).FirstOrDefault(v => !Variables.Contains(v, StringComparer.Ordinal));
        return unknown is null ? null : $"text uses {{{unknown}}}, which is not a variable (one of {string.Join(", ", Variables.Select(v => "{" + v + "}"))})";
    }

    public static bool IsChinese(string text) => text.Any(c => c is >= '\u4e00' and <= '\u9fff' or >= '\u3400' and <= '\u4dbf');

    /// <summary>Fills the variables it has a value for; one without (an order field when the customer has no order) stays as written, for the agent to see.</summary>
    public static string Fill(string text, IReadOnlyDictionary<string, string?> values) =>
        Variable().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var v) && !string.IsNullOrEmpty(v) ? v : m.Value);

    /// <summary>The values of one conversation: the customer's name (<paramref name="nameFallback"/> when unknown), the agent, the shop and the customer's latest order.</summary>
    public static Dictionary<string, string?> Values(string? customerName, string agentName, string shopName, string cutoff, Order? order, bool chinese)
    {
        var items = order is null ? [] : System.Text.Json.JsonSerializer.Deserialize<List<ItemRow>>(order.Items) ?? [];
        return new Dictionary<string, string?>
        {
            ["name"] = customerName,
            ["agent"] = agentName,
            ["shop"] = shopName,
            ["cutoff"] = cutoff,
            ["order"] = order?.ExternalOrderId,
            ["state"] = order is null ? null : StateName(order.State, chinese),
            ["product"] = items.Count switch { 0 => null, 1 => items[0].title, _ => $"{items[0].title} +{items.Count - 1}" },
            ["amount"] = order?.Amount?.ToString("0.00", CultureInfo.InvariantCulture),
            ["currency"] = order?.Currency,
            ["carrier"] = order?.Carrier,
            ["tracking"] = order?.TrackingNumber,
        };
    }

    private static string StateName(OrderState state, bool chinese) => state switch
    {
        OrderState.Created => chinese ? "待付款" : "awaiting payment",
        OrderState.Paid => chinese ? "已付款" : "paid",
        OrderState.Shipped => chinese ? "已发货" : "shipped",
        OrderState.Delivered => chinese ? "已签收" : "delivered",
        OrderState.RefundRequested => chinese ? "退款中" : "refund requested",
        OrderState.Refunded => chinese ? "已退款" : "refunded",
        _ => chinese ? "已取消" : "cancelled",
    };

    private sealed record ItemRow(string title, int quantity, decimal price);

    [GeneratedRegex(@"\{([a-zA-Z]+)\}")]
    private static partial Regex Variable();
}

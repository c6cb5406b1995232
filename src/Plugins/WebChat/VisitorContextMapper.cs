using System.Globalization;
using System.Text;
using System.Text.Json;
using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WebChat;

/// <summary>
/// Maps what the widget tells with a visitor's message about where they are (the <c>context</c> of <c>POST messages</c>)
/// to the message's <see cref="MessageOrigin"/>: the page (<c>{ page: { url, title } }</c>), a product the shop passed to
/// <c>ChatGateway.setContext</c> (<c>{ product: { id, name, url, price, currency } }</c>) or the cart
/// (<c>{ cart: { items: [{ id, name, quantity, price }], total, currency } }</c>). The widget sends one of them, and only
/// when it changed. Whatever the page put there, a bad value never fails the message: an over-long text is cut, a link
/// that is not http(s), a price that is not a number or an unknown currency is left out, and a context with nothing
/// usable left gives no origin.
/// </summary>
internal static class VisitorContextMapper
{
    public const int MaxTitle = 200;
    public const int MaxReference = 100;
    public const int MaxUrl = 2000;
    private const int MaxItems = 100;

    public static MessageOrigin? ToOrigin(JsonElement? context)
    {
        if (context is not { ValueKind: JsonValueKind.Object } c)
        {
            return null;
        }

        if (c.TryGetProperty("product", out var product) && product.ValueKind == JsonValueKind.Object)
        {
            var name = Text(product, "name", MaxTitle);
            var price = Money(Number(product, "price"), Currency(product));
            var reference = Text(product, "id", MaxReference);
            var title = name is null ? price : price is null ? name : Cut($"{name} · {price}", MaxTitle);
            var url = Url(product, "url");
            return title is null && reference is null && url is null ? null : new MessageOrigin { Kind = "product", Reference = reference, Title = title, Url = url };
        }

        if (c.TryGetProperty("cart", out var cart) && cart.ValueKind == JsonValueKind.Object)
        {
            var count = 0;
            if (cart.TryGetProperty("items", out var items) && items.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in items.EnumerateArray().Take(MaxItems))
                {
                    var quantity = item.ValueKind == JsonValueKind.Object ? Number(item, "quantity") : null;
                    count += quantity is >= 1 and <= 9999 ? (int)quantity.Value : item.ValueKind == JsonValueKind.Object ? 1 : 0;
                }
            }

            var total = Money(Number(cart, "total"), Currency(cart));
            if (count == 0 && total is null)
            {
                return null;
            }

            var what = count == 1 ? "1 item" : $"{count} items";
            return new MessageOrigin { Kind = "cart", Title = total is null ? what : $"{what} · {total}", Url = Url(cart, "url") };
        }

        if (c.TryGetProperty("page", out var page) && page.ValueKind == JsonValueKind.Object)
        {
            var url = Url(page, "url");
            var title = Text(page, "title", MaxTitle);
            return url is null && title is null ? null : new MessageOrigin { Kind = "page", Url = url, Title = title };
        }

        return null;
    }

    private static string? Text(JsonElement e, string name, int max)
    {
        if (!e.TryGetProperty(name, out var v))
        {
            return null;
        }

        var raw = v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Number => v.GetRawText(),
            _ => null,
        };
        if (raw is null)
        {
            return null;
        }

        // One line: control characters become spaces, runs of spaces one.
        var sb = new StringBuilder(Math.Min(raw.Length, max + 1));
        foreach (var ch in raw)
        {
            var c = char.IsControl(ch) ? ' ' : ch;
            if (c == ' ' && (sb.Length == 0 || sb[^1] == ' '))
            {
                continue;
            }

            sb.Append(c);
            if (sb.Length > max + 1)
            {
                break;
            }
        }

        var text = sb.ToString().Trim();
        return text.Length == 0 ? null : Cut(text, max);
    }

    private static string Cut(string text, int max)
    {
        if (text.Length <= max)
        {
            return text;
        }

        var end = max - 1;
        if (char.IsHighSurrogate(text[end - 1]))
        {
            end--;
        }

        return text[..end] + "…";
    }

    private static string? Url(JsonElement e, string name)
    {
        var text = e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
        return text is { Length: > 0 and <= MaxUrl } && Uri.TryCreate(text, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.AbsoluteUri
            : null;
    }

    private static decimal? Number(JsonElement e, string name)
    {
        if (!e.TryGetProperty(name, out var v))
        {
            return null;
        }

        decimal value;
        if (v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out value))
        {
            return value is >= 0 and < 1_000_000_000 ? value : null;
        }

        return v.ValueKind == JsonValueKind.String && decimal.TryParse(v.GetString(), NumberStyles.Number, CultureInfo.InvariantCulture, out value) && value is >= 0 and < 1_000_000_000
            ? value
            : null;
    }

    private static string? Currency(JsonElement e)
    {
        var code = e.TryGetProperty("currency", out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()?.Trim().ToUpperInvariant() : null;
        return code is { Length: 3 } && code.All(char.IsAsciiLetterUpper) ? code : null;
    }

    private static string? Money(decimal? amount, string? currency)
    {
        if (amount is not { } a)
        {
            return null;
        }

        var number = a.ToString("0.00", CultureInfo.InvariantCulture);
        return currency switch
        {
            "CNY" => "¥" + number,
            "USD" => "$" + number,
            "EUR" => "€" + number,
            "GBP" => "£" + number,
            "JPY" => "¥" + a.ToString("0", CultureInfo.InvariantCulture),
            null => number,
            _ => $"{currency} {number}",
        };
    }
}

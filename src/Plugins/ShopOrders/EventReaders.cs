using System.Globalization;
using System.Text.Json;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.ShopOrders;

/// <summary>A body that cannot be read as an order event: answered 400 naming the field.</summary>
internal sealed class BadEventException(string field, string reason) : Exception($"{field}: {reason}")
{
    public string Field { get; } = field;
}

/// <summary>
/// The generic format: <c>{"type": "order.created", "data": {"orderId", "createdAt"|"occurredAt", "buyer": {"phone", "email",
/// "name", "channel", "externalId"}, "items": [{"title", "quantity", "price"}], "amount", "currency", "carrier",
/// "trackingNumber", "reason"}}</c>. Amounts and prices are decimal strings ("199.00") or numbers. On <c>order.refunded</c>,
/// <c>amount</c> is what that refund returned (none: the whole order).
/// </summary>
internal static class StandardEventReader
{
    private static readonly Dictionary<string, OrderEventType> Types = new(StringComparer.Ordinal)
    {
        ["order.created"] = OrderEventType.Created,
        ["order.paid"] = OrderEventType.Paid,
        ["order.shipped"] = OrderEventType.Shipped,
        ["order.delivered"] = OrderEventType.Delivered,
        ["order.received"] = OrderEventType.Delivered,
        ["order.refund_requested"] = OrderEventType.RefundRequested,
        ["order.refunded"] = OrderEventType.Refunded,
        ["order.cancelled"] = OrderEventType.Cancelled,
    };

    public static IReadOnlyCollection<string> TypeNames => Types.Keys;

    public static OrderEvent Read(string eventId, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new BadEventException("body", "must be a JSON object with type and data");
        }

        var typeName = Json.String(root, "type", "type") ?? throw new BadEventException("type", "is required");
        if (!Types.TryGetValue(typeName, out var type))
        {
            throw new BadEventException("type", $"'{Json.Clip(typeName)}' is not an order event type (one of {string.Join(", ", Types.Keys)})");
        }

        if (!root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Object)
        {
            throw new BadEventException("data", "is required and must be an object");
        }

        var occurred = Json.Time(data, "occurredAt", "data.occurredAt") ?? (type == OrderEventType.Created ? Json.Time(data, "createdAt", "data.createdAt") : null);
        // On order.refunded, amount is what this refund returned (none: the whole order), not the order's total.
        var refunded = type == OrderEventType.Refunded;
        var amount = refunded ? Json.NonNegative(data, "amount", "data.amount") : Json.Decimal(data, "amount", "data.amount");

        return new OrderEvent
        {
            EventId = eventId,
            Type = type,
            OrderId = Json.String(data, "orderId", "data.orderId") ?? throw new BadEventException("data.orderId", "is required"),
            OccurredAt = occurred,
            Buyer = data.TryGetProperty("buyer", out var buyer) && buyer.ValueKind != JsonValueKind.Null ? ReadBuyer(buyer) : null,
            Items = data.TryGetProperty("items", out var items) && items.ValueKind != JsonValueKind.Null ? ReadItems(items) : null,
            Amount = refunded ? null : amount,
            RefundAmount = refunded ? amount : null,
            Currency = Json.String(data, "currency", "data.currency"),
            Carrier = Json.String(data, "carrier", "data.carrier"),
            TrackingNumber = Json.String(data, "trackingNumber", "data.trackingNumber"),
            Reason = Json.String(data, "reason", "data.reason"),
        };
    }

    private static OrderBuyer ReadBuyer(JsonElement buyer)
    {
        if (buyer.ValueKind != JsonValueKind.Object)
        {
            throw new BadEventException("data.buyer", "must be an object");
        }

        return new OrderBuyer
        {
            Phone = Json.String(buyer, "phone", "data.buyer.phone"),
            Email = Json.String(buyer, "email", "data.buyer.email"),
            Name = Json.String(buyer, "name", "data.buyer.name"),
            ChannelInstanceId = Json.String(buyer, "channel", "data.buyer.channel"),
            ExternalId = Json.String(buyer, "externalId", "data.buyer.externalId"),
        };
    }

    private static List<OrderItem> ReadItems(JsonElement items)
    {
        if (items.ValueKind != JsonValueKind.Array)
        {
            throw new BadEventException("data.items", "must be an array");
        }

        var list = new List<OrderItem>();
        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            var at = $"data.items[{i++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new BadEventException(at, "must be an object");
            }

            list.Add(new OrderItem(
                Json.String(item, "title", at + ".title") ?? throw new BadEventException(at + ".title", "is required"),
                Json.Int(item, "quantity", at + ".quantity") ?? 1,
                Json.Decimal(item, "price", at + ".price") ?? throw new BadEventException(at + ".price", "is required")));
        }

        return list;
    }
}

/// <summary>
/// Shopify's order webhooks (Admin API payloads): topics <c>orders/create</c>, <c>orders/paid</c>, <c>orders/fulfilled</c>,
/// <c>fulfillments/create</c>, <c>orders/cancelled</c>, <c>refunds/create</c> (each refund with what it returned) and
/// <c>orders/updated</c> (only when its <c>financial_status</c> says the whole order is refunded). The order is found by
/// Shopify's numeric order id (a refund or fulfillment carries only that) and shown by its <c>name</c> (#1001), which
/// order payloads carry.
/// </summary>
internal static class ShopifyEventReader
{
    public static readonly IReadOnlyDictionary<string, OrderEventType> Topics = new Dictionary<string, OrderEventType>(StringComparer.Ordinal)
    {
        ["orders/create"] = OrderEventType.Created,
        ["orders/paid"] = OrderEventType.Paid,
        ["orders/fulfilled"] = OrderEventType.Shipped,
        ["fulfillments/create"] = OrderEventType.Shipped,
        ["orders/cancelled"] = OrderEventType.Cancelled,
        ["refunds/create"] = OrderEventType.Refunded,
        ["orders/updated"] = OrderEventType.Refunded,
    };

    /// <summary>The event, or null for an <c>orders/updated</c> that does not say the order is refunded (acknowledged, ignored).</summary>
    public static OrderEvent? Read(string eventId, string topic, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new BadEventException("body", "must be a JSON object");
        }

        var type = Topics.TryGetValue(topic, out var mapped) ? mapped : throw new BadEventException("X-Shopify-Topic", $"'{Json.Clip(topic)}' is not a topic this gateway follows");
        var wholeOrderRefunded = string.Equals(Json.String(root, "financial_status", "financial_status"), "refunded", StringComparison.Ordinal);
        if (topic == "orders/updated" && !wholeOrderRefunded)
        {
            // Every edit of an order is an update; only Shopify's word that all of it went back is an order event here.
            return null;
        }

        // An order payload has the order's id; a refund or a fulfillment names it in order_id.
        var orderKey = root.TryGetProperty("order_id", out _) ? "order_id" : "id";
        var orderId = Json.String(root, orderKey, orderKey) ?? throw new BadEventException(orderKey, "is required");
        var isOrder = orderKey == "id";
        var fulfillment = type == OrderEventType.Shipped
            ? isOrder && root.TryGetProperty("fulfillments", out var list) && list.ValueKind == JsonValueKind.Array && list.GetArrayLength() > 0
                ? list[list.GetArrayLength() - 1]
                : isOrder ? (JsonElement?)null : root
            : null;
        return new OrderEvent
        {
            EventId = eventId,
            Type = type,
            OrderId = orderId,
            // A fulfillment's own name is "#1001.1": only an order payload names the order.
            OrderName = isOrder ? Json.String(root, "name", "name") : null,
            OccurredAt = type switch
            {
                OrderEventType.Created => Json.Time(root, "created_at", "created_at"),
                OrderEventType.Cancelled => Json.Time(root, "cancelled_at", "cancelled_at"),
                OrderEventType.Paid => Json.Time(root, "processed_at", "processed_at"),
                OrderEventType.Refunded when isOrder => Json.Time(root, "updated_at", "updated_at"),
                _ => isOrder ? null : Json.Time(root, "created_at", "created_at"),
            },
            Buyer = isOrder ? ReadBuyer(root) : null,
            Items = isOrder && root.TryGetProperty("line_items", out var items) && items.ValueKind == JsonValueKind.Array ? ReadItems(items) : null,
            Amount = isOrder ? Json.Decimal(root, "total_price", "total_price") : null,
            // A refund says what it returned; an order payload whose financial_status is refunded means all of it.
            RefundAmount = type == OrderEventType.Refunded && !isOrder ? RefundAmount(root) : null,
            Currency = isOrder ? Json.String(root, "currency", "currency") : null,
            Carrier = fulfillment is { } f ? Json.String(f, "tracking_company", "tracking_company") : null,
            TrackingNumber = fulfillment is { } g ? Json.String(g, "tracking_number", "tracking_number") : null,
            Reason = type == OrderEventType.Cancelled ? Json.String(root, "cancel_reason", "cancel_reason") : isOrder ? null : Json.String(root, "note", "note"),
        };
    }

    /// <summary>
    /// What a refund returned: the amounts of its refund transactions that succeeded (Shopify's money movements, a shipping
    /// refund included; a failed or pending one returned nothing yet). A refund with no refund transactions (recorded
    /// outside Shopify's payments) counts its lines' <c>subtotal</c>s.
    /// </summary>
    private static decimal RefundAmount(JsonElement refund)
    {
        if (RefundTransactionsTotal(refund) is { } paid)
        {
            return paid;
        }

        if (!refund.TryGetProperty("refund_line_items", out var lines) || lines.ValueKind == JsonValueKind.Null)
        {
            if (!refund.TryGetProperty("transactions", out _))
            {
                throw new BadEventException("transactions", "a refund needs its transactions or refund_line_items to say what it returned");
            }

            return 0m;
        }

        var total = 0m;
        var i = 0;
        foreach (var line in Json.Objects(lines, "refund_line_items"))
        {
            total += Json.NonNegative(line, "subtotal", $"refund_line_items[{i++}].subtotal") ?? 0m;
        }

        return total;
    }

    /// <summary>The successful refund transactions' total; null when the refund has no refund transactions.</summary>
    private static decimal? RefundTransactionsTotal(JsonElement refund)
    {
        if (!refund.TryGetProperty("transactions", out var transactions) || transactions.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        decimal? total = null;
        var i = 0;
        foreach (var transaction in Json.Objects(transactions, "transactions"))
        {
            var at = $"transactions[{i++}]";
            if (!string.Equals(Json.String(transaction, "kind", at + ".kind"), "refund", StringComparison.Ordinal))
            {
                continue;
            }

            var amount = Json.NonNegative(transaction, "amount", at + ".amount") ?? throw new BadEventException(at + ".amount", "is required on a refund transaction");
            total = (total ?? 0m) + (string.Equals(Json.String(transaction, "status", at + ".status"), "success", StringComparison.Ordinal) ? amount : 0m);
        }

        return total;
    }

    /// <summary>The wire field a refund's amount came from, to name in a refusal of it.</summary>
    public static string RefundAmountField(JsonElement refund) =>
        RefundTransactionsTotal(refund) is not null ? "transactions" : "refund_line_items";

    private static OrderBuyer? ReadBuyer(JsonElement order)
    {
        var customer = order.TryGetProperty("customer", out var c) && c.ValueKind == JsonValueKind.Object ? c : (JsonElement?)null;
        var billing = order.TryGetProperty("billing_address", out var b) && b.ValueKind == JsonValueKind.Object ? b : (JsonElement?)null;
        var phone = Json.String(order, "phone", "phone")
            ?? (customer is { } c1 ? Json.String(c1, "phone", "customer.phone") : null)
            ?? (billing is { } b1 ? Json.String(b1, "phone", "billing_address.phone") : null);
        var email = Json.String(order, "email", "email") ?? (customer is { } c2 ? Json.String(c2, "email", "customer.email") : null);
        var name = customer is { } c3
            ? string.Join(' ', new[] { Json.String(c3, "first_name", "customer.first_name"), Json.String(c3, "last_name", "customer.last_name") }.Where(n => !string.IsNullOrWhiteSpace(n))).Trim()
            : null;
        return phone is null && email is null ? null : new OrderBuyer { Phone = phone, Email = email, Name = string.IsNullOrEmpty(name) ? null : name };
    }

    private static List<OrderItem> ReadItems(JsonElement items)
    {
        var list = new List<OrderItem>();
        var i = 0;
        foreach (var item in items.EnumerateArray())
        {
            var at = $"line_items[{i++}]";
            list.Add(new OrderItem(
                Json.String(item, "title", at + ".title") ?? Json.String(item, "name", at + ".name") ?? throw new BadEventException(at + ".title", "is required"),
                Json.Int(item, "quantity", at + ".quantity") ?? 1,
                Json.Decimal(item, "price", at + ".price") ?? 0m));
        }

        return list;
    }
}

/// <summary>Typed reads of JSON properties, each failure naming the field.</summary>
internal static class Json
{
    public static string Clip(string text) => text.Length <= 60 ? text : text[..60] + "…";

    public static string? String(JsonElement obj, string name, string field)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString() is { Length: > 0 } s ? s : null,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new BadEventException(field, "must be a string"),
        };
    }

    public static decimal? Decimal(JsonElement obj, string name, string field)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out var number))
        {
            return number;
        }

        if (value.ValueKind == JsonValueKind.String
            && decimal.TryParse(value.GetString(), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var parsed))
        {
            return parsed;
        }

        if (value.ValueKind == JsonValueKind.String
            && decimal.TryParse(value.GetString(), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            throw new BadEventException(field, "must not be negative");
        }

        throw new BadEventException(field, "must be a decimal amount such as \"199.00\"");
    }

    /// <summary>A decimal amount that must not be negative (a refund's amount).</summary>
    public static decimal? NonNegative(JsonElement obj, string name, string field)
    {
        // Decimal refuses a negative string ("-10.00"); a negative number is refused here.
        var value = Decimal(obj, name, field);
        return value < 0 ? throw new BadEventException(field, "must not be negative") : value;
    }

    /// <summary>The elements of an array of objects, each failure naming the field.</summary>
    public static IEnumerable<JsonElement> Objects(JsonElement array, string field)
    {
        if (array.ValueKind != JsonValueKind.Array)
        {
            throw new BadEventException(field, "must be an array");
        }

        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.Object)
            {
                throw new BadEventException($"{field}[{i}]", "must be an object");
            }

            i++;
            yield return item;
        }
    }

    public static int? Int(JsonElement obj, string name, string field)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n)
            ? n
            : throw new BadEventException(field, "must be a whole number");
    }

    public static DateTimeOffset? Time(JsonElement obj, string name, string field)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var text = value.ValueKind == JsonValueKind.String ? value.GetString() ?? "" : "";
        var t = text.IndexOf('T', StringComparison.Ordinal);
        var hasOffset = t > 0 && (text.EndsWith('Z') || text.IndexOfAny(['+', '-'], t) > 0);
        return hasOffset && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at)
            ? at
            : throw new BadEventException(field, "must be an ISO 8601 time with its offset, e.g. 2026-12-06T09:30:00+08:00");
    }
}

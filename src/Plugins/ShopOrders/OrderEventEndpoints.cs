using System.Text.Json;

using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.ShopOrders;

/// <summary>
/// <c>POST events</c> under <c>/channels/{id}</c>: the body is read raw (size-limited), its signature verified before a byte
/// of it is parsed, mapped to an <see cref="OrderEvent"/> and handed to the gateway, and acknowledged only once the gateway
/// committed it. Answers: 200 <c>{orderId, state, duplicate}</c>; 401 unsigned, forged or stale; 400 not an event (naming
/// the field); 413 too large; 415 not JSON; 409/422 the gateway's refusal (naming the field).
/// </summary>
internal static partial class OrderEventEndpoints
{
    public static IEndpointRouteBuilder MapOrderEvents(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("events", new RequestDelegate(HandleAsync));
        return endpoints;
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger("ChatGateway.Plugins.ShopOrders");
        var options = services.GetRequiredService<IOptionsMonitor<ShopOrdersOptions>>().CurrentValue;
        var request = context.Request;
        if (!request.HasJsonContentType())
        {
            await AnswerAsync(context, logger, StatusCodes.Status415UnsupportedMediaType, "send the event as application/json");
            return;
        }

        if (request.ContentLength > options.MaxBodyBytes)
        {
            await AnswerAsync(context, logger, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {options.MaxBodyBytes} bytes");
            return;
        }

        var body = await ReadBodyAsync(request, options.MaxBodyBytes, context.RequestAborted);
        if (body is null)
        {
            await AnswerAsync(context, logger, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {options.MaxBodyBytes} bytes");
            return;
        }

        var time = services.GetRequiredService<TimeProvider>();
        string? eventId;
        string? topic = null;
        if (options.IsShopify)
        {
            if (ShopifySignature.Verify(options.Secret, request.Headers["X-Shopify-Hmac-Sha256"], body) is { } forged)
            {
                await AnswerAsync(context, logger, StatusCodes.Status401Unauthorized, forged);
                return;
            }

            eventId = request.Headers["X-Shopify-Webhook-Id"].ToString();
            topic = request.Headers["X-Shopify-Topic"].ToString();
            if (string.IsNullOrEmpty(eventId))
            {
                await AnswerAsync(context, logger, StatusCodes.Status400BadRequest, "X-Shopify-Webhook-Id header is required", "X-Shopify-Webhook-Id");
                return;
            }

            if (!ShopifyEventReader.Topics.ContainsKey(topic))
            {
                // Shopify retries anything but 2xx for two days and then deletes the subscription: a topic this
                // gateway does not follow is acknowledged and said to be ignored.
                Log.TopicIgnored(logger, Json.Clip(topic));
                await Results.Json(new { ignored = true, reason = $"topic '{Json.Clip(topic)}' is not an order event this gateway follows" }).ExecuteAsync(context);
                return;
            }
        }
        else
        {
            eventId = request.Headers["webhook-id"].ToString();
            if (StandardWebhooks.Verify(
                    StandardWebhooks.SecretBytes(options.Secret)!, eventId, request.Headers["webhook-timestamp"], request.Headers["webhook-signature"],
                    body, time.GetUtcNow(), options.Tolerance) is { } forged)
            {
                await AnswerAsync(context, logger, StatusCodes.Status401Unauthorized, forged);
                return;
            }
        }

        OrderEvent? orderEvent;
        // Where a Shopify refund's amount came from, to name it if the gateway refuses it.
        var amountField = "transactions";
        try
        {
            using var document = JsonDocument.Parse(body);
            orderEvent = topic is null
                ? StandardEventReader.Read(eventId, document.RootElement)
                : ShopifyEventReader.Read(eventId, topic, document.RootElement);
            if (topic is not null && orderEvent?.RefundAmount is not null)
            {
                amountField = ShopifyEventReader.RefundAmountField(document.RootElement);
            }
        }
        catch (JsonException)
        {
            await AnswerAsync(context, logger, StatusCodes.Status400BadRequest, "the body is not valid JSON", "body");
            return;
        }
        catch (BadEventException ex)
        {
            await AnswerAsync(context, logger, StatusCodes.Status400BadRequest, ex.Message, ex.Field);
            return;
        }

        if (orderEvent is null)
        {
            Log.UpdateIgnored(logger, Json.Clip(topic!));
            await Results.Json(new { ignored = true, reason = $"topic '{Json.Clip(topic!)}' is followed only when its financial_status is refunded" }).ExecuteAsync(context);
            return;
        }

        OrderEventResult result;
        try
        {
            result = await services.GetRequiredService<IOrderEventSink>().AcceptAsync(orderEvent, context.RequestAborted);
        }
        catch (OrderEventRejectedException ex)
        {
            // The gateway names fields as the standard format does; a Shopify payload has them elsewhere.
            var field = topic is null ? ex.Field : ex.Field switch
            {
                "data.amount" when orderEvent.RefundAmount is not null => amountField,
                "data.orderId" => orderEvent.OrderName is null ? "order_id" : "id",
                _ => ex.Field,
            };
            await AnswerAsync(context, logger, ex.StatusCode, field + ex.Message[ex.Field.Length..], field);
            return;
        }

        // Committed: only now may the shop hear 200. A redelivered event is acknowledged as a duplicate.
        Log.Accepted(logger, eventId, orderEvent.OrderId, orderEvent.Type, result.State, result.Duplicate);
        await Results.Json(new { orderId = orderEvent.OrderId, id = result.OrderId, state = result.State, duplicate = result.Duplicate }).ExecuteAsync(context);
    }

    /// <summary>The raw body, or null when it is longer than <paramref name="limit"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > limit)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static async Task AnswerAsync(HttpContext context, ILogger logger, int status, string error, string? field = null)
    {
        Log.Refused(logger, status, error);
        await Results.Json(field is null ? new { error } : new { error, field }, statusCode: status).ExecuteAsync(context);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4200, Level = LogLevel.Information, Message = "Order event {EventId} for order {OrderId} ({Type}) accepted: {State}, duplicate {Duplicate}")]
        public static partial void Accepted(ILogger logger, string eventId, string orderId, OrderEventType type, string state, bool duplicate);

        [LoggerMessage(EventId = 4201, Level = LogLevel.Warning, Message = "Order event refused with {Status}: {Reason}")]
        public static partial void Refused(ILogger logger, int status, string reason);

        [LoggerMessage(EventId = 4202, Level = LogLevel.Information, Message = "Shopify topic {Topic} ignored: not an order event this gateway follows")]
        public static partial void TopicIgnored(ILogger logger, string topic);

        [LoggerMessage(EventId = 4203, Level = LogLevel.Debug, Message = "Shopify topic {Topic} ignored: the order is not refunded as a whole")]
        public static partial void UpdateIgnored(ILogger logger, string topic);
    }
}

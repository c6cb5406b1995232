using ChatGateway.Abstractions;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp.Webhooks;

/// <summary>
/// <c>POST webhook</c> under <c>/channels/{id}</c>: WhatsApp's signed JSON events. The handler resolves everything
/// from <c>RequestServices</c>, a scope of the instance's own container (the gateway's container does not know the
/// plugin's types).
/// </summary>
internal static class WhatsAppWebhookEndpoints
{
    private const string LoggerCategory = "ChatGateway.Plugins.WhatsApp.Webhooks";

    public static IEndpointRouteBuilder MapWhatsAppWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("webhook", new RequestDelegate(HandleWebhookAsync));
        return endpoints;
    }

    private static async Task HandleWebhookAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var options = services.GetRequiredService<IOptionsMonitor<WhatsAppOptions>>().CurrentValue;
        var cancellationToken = context.RequestAborted;

        // 1. The size, from the header and again while reading (a chunked body has no Content-Length).
        var body = await ReadBodyAsync(context.Request, options.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {options.MaxBodyBytes} bytes");
            return;
        }

        // 2. Who sent it, over the exact bytes, before anything is parsed.
        var signature = context.Request.Headers[WhatsAppSignature.HeaderName].ToString();
        if (signature.Length == 0)
        {
            await RejectAsync(context, logger, StatusCodes.Status401Unauthorized, $"missing {WhatsAppSignature.HeaderName}");
            return;
        }

        if (!WhatsAppSignature.IsValid(options.ChannelSecret, body, signature))
        {
            await RejectAsync(context, logger, StatusCodes.Status401Unauthorized, "invalid signature");
            return;
        }

        // 3. What it says.
        var (messages, error) = WhatsAppMapper.ToInboundMessages(body);
        if (messages is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status400BadRequest, error!);
            return;
        }

        foreach (var message in messages)
        {
            Log.EventReceived(logger, message.ProviderMessageId, message.Unsupported?.Kind ?? "message", message.Sender.ExternalId);
        }

        // 4. Stored, then answered. A message the gateway refuses is reported in its item: WhatsApp is still
        // answered 200, since sending it again would be refused again. Any other failure (the store is down) propagates
        // and the provider hears 500, so it sends the whole request again; what was stored is then a duplicate, kept once.
        var items = await services.GetRequiredService<IInboundSink>().AcceptBatchAsync(messages, cancellationToken);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].RefusedReason is { } reason)
            {
                Log.EventRefused(logger, messages[i].ProviderMessageId, reason);
            }
        }

        Log.WebhookAccepted(logger, messages.Count, items.Count(item => item.Accepted), items.Count(item => !item.Accepted));
        await Results.Ok().ExecuteAsync(context);
    }

    /// <summary>The body's bytes, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

        // Kestrel's own limit (30 MB) stays as the outer bound; this one is the instance's.
        var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > maxBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    private static Task RejectAsync(HttpContext context, ILogger logger, int statusCode, string reason)
    {
        Log.WebhookRejected(logger, statusCode, reason);
        return Results.Json(new { error = reason }, statusCode: statusCode).ExecuteAsync(context);
    }
}

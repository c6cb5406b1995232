using System.Security.Cryptography;
using System.Text;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Updates;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Telegram.Webhooks;

/// <summary>
/// <c>POST webhook</c> under <c>/channels/{id}</c>: one Telegram update per request, proven by the
/// <c>X-Telegram-Bot-Api-Secret-Token</c> header (the <c>secret_token</c> given to <c>setWebhook</c>). The handler
/// resolves everything from <c>RequestServices</c>, a scope of the instance's own container.
/// </summary>
internal static class TelegramWebhookEndpoints
{
    public const string SecretHeader = "X-Telegram-Bot-Api-Secret-Token";

    private const string LoggerCategory = "ChatGateway.Plugins.Telegram.Webhooks";

    public static IEndpointRouteBuilder MapTelegramWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("webhook", new RequestDelegate(HandleWebhookAsync));
        return endpoints;
    }

    /// <summary>True when the header is the instance's secret token; compared in constant time.</summary>
    public static bool IsValidSecret(string secretToken, string? header) =>
        !string.IsNullOrEmpty(header) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(secretToken), Encoding.UTF8.GetBytes(header));

    private static async Task HandleWebhookAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var options = services.GetRequiredService<IOptionsMonitor<TelegramOptions>>().CurrentValue;
        var cancellationToken = context.RequestAborted;

        // 1. Who sent it, before the body is even read.
        var secret = context.Request.Headers[SecretHeader].ToString();
        if (secret.Length == 0)
        {
            await RejectAsync(context, logger, StatusCodes.Status401Unauthorized, $"missing {SecretHeader}");
            return;
        }

        if (!IsValidSecret(options.SecretToken, secret))
        {
            await RejectAsync(context, logger, StatusCodes.Status403Forbidden, $"wrong {SecretHeader}");
            return;
        }

        // 2. The size, from the header and again while reading (a chunked body has no Content-Length).
        var body = await ReadBodyAsync(context.Request, options.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {options.MaxBodyBytes} bytes");
            return;
        }

        // 3. What it says.
        var (update, error) = TelegramMapper.ToUpdate(body);
        if (error is not null)
        {
            await RejectAsync(context, logger, StatusCodes.Status400BadRequest, error);
            return;
        }

        if (update is null)
        {
            Log.UpdateIgnored(logger);
            await Results.Ok().ExecuteAsync(context);
            return;
        }

        // Stored, refused (it would be refused again), or a block recorded: all answered 200.
        await TelegramUpdateHandler.HandleAsync(services, logger, update, options, cancellationToken);
        await Results.Ok().ExecuteAsync(context);
    }

    /// <summary>The body's bytes, or null when it is larger than <paramref name="maxBytes"/>.</summary>
    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, int maxBytes, CancellationToken cancellationToken)
    {
        if (request.ContentLength > maxBytes)
        {
            return null;
        }

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

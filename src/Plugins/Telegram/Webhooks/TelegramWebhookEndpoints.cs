using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Api;

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

        var message = update.Message;
        Log.UpdateReceived(logger, message.ProviderMessageId, message.Unsupported?.Kind ?? update.File?.Kind ?? "text", message.Sender.ExternalId);

        // 4. A photo or document is fetched and stored first. A failure worth retrying answers 503 with nothing stored,
        // so Telegram delivers the update again; a file Telegram no longer has (or the gateway does not take) is shown as
        // unsupported content with the reason.
        if (update.File is not null)
        {
            var (saved, retry) = await SaveFileAsync(services, logger, message, update.File, options, cancellationToken);
            if (saved is null)
            {
                await RejectAsync(context, logger, StatusCodes.Status503ServiceUnavailable, retry!);
                return;
            }

            message = saved;
        }

        // 5. Stored, then answered. A refused message is answered 200 (sent again it would be refused again); any other
        // failure propagates and Telegram hears 500 and sends the update again, a duplicate by its provider id.
        try
        {
            await services.GetRequiredService<IInboundSink>().AcceptAsync(message, cancellationToken);
        }
        catch (InboundRejectedException ex)
        {
            Log.UpdateRefused(logger, message.ProviderMessageId, ex.Message);
            await Results.Ok().ExecuteAsync(context);
            return;
        }

        // 6. Only now does the gateway know the contact: the language Telegram reports for the user.
        if (update.Language is { Length: > 0 } language)
        {
            await services.GetRequiredService<IContactProfiles>().UpdateAsync(message.Sender.ExternalId, new ContactProfile { Language = language }, cancellationToken);
        }

        Log.UpdateAccepted(logger, message.Unsupported?.Kind ?? update.File?.Kind ?? "text");
        await Results.Ok().ExecuteAsync(context);
    }

    private static async Task<(InboundMessage? Message, string? Retry)> SaveFileAsync(
        IServiceProvider services, ILogger logger, InboundMessage message, TelegramFile file, TelegramOptions options, CancellationToken cancellationToken)
    {
        InboundMessage NotKept(string reason)
        {
            Log.FileNotKept(logger, message.ProviderMessageId, reason);
            return message with { Unsupported = new UnsupportedContent { Kind = file.Kind, Summary = reason } };
        }

        if (file.Size > TelegramMapper.MaxDownloadBytes)
        {
            return (NotKept("larger than the 20 MB Telegram lets bots download"), null);
        }

        var client = services.GetRequiredService<TelegramBotClient>();
        var found = await client.CallAsync("getFile", new Dictionary<string, string> { ["file_id"] = file.FileId }, cancellationToken);
        if (!found.Ok)
        {
            return found.Transient
                ? Retry(logger, message, found.Unreachable ?? $"Telegram answered {found.Status} to getFile")
                : (NotKept($"could not be fetched from Telegram (getFile answered {found.Status})"), null);
        }

        if (found.Result.ValueKind != JsonValueKind.Object || !found.Result.TryGetProperty("file_path", out var pathValue)
            || pathValue.GetString() is not { Length: > 0 } path)
        {
            return (NotKept("Telegram gave no file path for it"), null);
        }

        using var perFile = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        perFile.CancelAfter(options.RequestTimeout);
        try
        {
            var (response, failure) = await client.DownloadAsync(path, perFile.Token);
            if (failure is not null)
            {
                return failure.Transient
                    ? Retry(logger, message, failure.Unreachable ?? $"Telegram answered {failure.Status} to the download")
                    : (NotKept($"could not be fetched from Telegram (answered {failure.Status})"), null);
            }

            using (response)
            {
                await using var content = await response!.Content.ReadAsStreamAsync(perFile.Token);
                try
                {
                    var attachment = await services.GetRequiredService<IAttachmentStore>()
                        .SaveAsync(content, file.FileName ?? Path.GetFileName(path), file.ContentType ?? response.Content.Headers.ContentType?.MediaType, perFile.Token);
                    return (message with { Attachments = [attachment] }, null);
                }
                catch (AttachmentRejectedException ex)
                {
                    return (NotKept($"not kept: {ex.Message}"), null);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return Retry(logger, message, $"the file did not arrive within {options.RequestTimeout.TotalSeconds:0.###} s");
        }
        catch (Exception ex) when ((ex is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return Retry(logger, message, "the download broke off");
        }
    }

    private static (InboundMessage?, string?) Retry(ILogger logger, InboundMessage message, string reason)
    {
        Log.FileFetchFailed(logger, message.ProviderMessageId, reason);
        return (null, $"the file could not be fetched from Telegram ({reason}); send the update again");
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

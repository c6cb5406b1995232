using System.Security.Cryptography;
using System.Text;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WhatsApp.Api;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WhatsApp.Webhooks;

/// <summary>
/// <c>GET webhook</c> (Meta's verification of the URL) and <c>POST webhook</c> (signed notifications) under
/// <c>/channels/{id}</c>. The handlers resolve everything from <c>RequestServices</c>, a scope of the instance's own
/// container.
/// </summary>
internal static class WhatsAppWebhookEndpoints
{
    private const string LoggerCategory = "ChatGateway.Plugins.WhatsApp.Webhooks";

    /// <summary>Attempts at a customer's file, a short wait growing between them, so that a passing failure does not lose it.</summary>
    private const int MediaAttempts = 3;

    private static readonly TimeSpan MediaBackoff = TimeSpan.FromMilliseconds(300);

    public static IEndpointRouteBuilder MapWhatsAppWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("webhook", new RequestDelegate(HandleVerificationAsync));
        endpoints.MapPost("webhook", new RequestDelegate(HandleWebhookAsync));
        return endpoints;
    }

    /// <summary><c>?hub.mode=subscribe&amp;hub.verify_token=…&amp;hub.challenge=…</c>: the challenge back as text when the token is ours.</summary>
    private static Task HandleVerificationAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var options = services.GetRequiredService<IOptionsMonitor<WhatsAppOptions>>().CurrentValue;
        var query = context.Request.Query;
        var token = query["hub.verify_token"].ToString();
        var challenge = query["hub.challenge"].ToString();

        if (query["hub.mode"].ToString() != "subscribe")
        {
            Log.VerificationRefused(logger, "hub.mode is not subscribe");
            return Results.Text("hub.mode must be subscribe", statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }

        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(token), Encoding.UTF8.GetBytes(options.VerifyToken)))
        {
            Log.VerificationRefused(logger, "wrong verify token");
            return Results.Text("wrong verify token", statusCode: StatusCodes.Status403Forbidden).ExecuteAsync(context);
        }

        if (challenge.Length is 0 or > 1024)
        {
            Log.VerificationRefused(logger, "no challenge");
            return Results.Text("hub.challenge is required", statusCode: StatusCodes.Status400BadRequest).ExecuteAsync(context);
        }

        Log.Verified(logger);
        return Results.Text(challenge, "text/plain", Encoding.UTF8).ExecuteAsync(context);
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

        if (!WhatsAppSignature.IsValid(options.AppSecret, body, signature))
        {
            await RejectAsync(context, logger, StatusCodes.Status401Unauthorized, "invalid signature");
            return;
        }

        // 3. What it says, for this instance's number only.
        var (webhook, error) = WhatsAppMapper.ToWebhook(body, options.PhoneNumberId);
        if (webhook is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status400BadRequest, error!);
            return;
        }

        // 4. Media is fetched from Graph and stored before the message is given to the gateway. A fetch that keeps failing
        // (retried) or media Graph no longer has stores the message with its caption and the file shown as failed: Meta's
        // redeliveries may stop, and the message must not be lost.
        // Retries stop once the request has taken RequestTimeout, so that many failing files still answer Meta in time.
        var time = services.GetRequiredService<TimeProvider>();
        var retryUntil = time.GetUtcNow() + options.RequestTimeout;
        var messages = new List<InboundMessage>(webhook.Messages.Count);
        for (var index = 0; index < webhook.Messages.Count; index++)
        {
            var inbound = webhook.Messages[index];
            var message = inbound.Message;
            Log.MessageReceived(logger, message.ProviderMessageId, message.Unsupported?.Kind ?? inbound.Media?.Kind ?? "text", message.Sender.ExternalId);
            if (inbound.Media is { } media)
            {
                message = await SaveMediaAsync(services, logger, index + 1, message, media, retryUntil, cancellationToken);
            }

            messages.Add(message);
        }

        // 5. Stored, then answered. A refused message is reported in its item (Meta still hears 200: sent again it would
        // be refused again). Any other failure propagates: Meta hears 500 and sends the whole request again.
        var items = messages.Count == 0 ? [] : await services.GetRequiredService<IInboundSink>().AcceptBatchAsync(messages, cancellationToken);
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].RefusedReason is { } reason)
            {
                Log.MessageRefused(logger, i + 1, reason);
            }
        }

        var statuses = services.GetRequiredService<IDeliveryStatusSink>();
        foreach (var status in webhook.Statuses)
        {
            await statuses.ReportAsync(status, cancellationToken);
        }

        Log.WebhookAccepted(logger, items.Count(item => item.Accepted), items.Count(item => !item.Accepted), webhook.Statuses.Count, webhook.Ignored);
        await Results.Ok().ExecuteAsync(context);
    }

    /// <summary>
    /// The message with its media stored as an attachment; with the file as failed content when Graph no longer has it or
    /// it could not be downloaded in <see cref="MediaAttempts"/> attempts; with unsupported content when the gateway does
    /// not take it. All attempts together take at most twice the RequestTimeout; none starts again after <paramref name="retryUntil"/>.
    /// </summary>
    private static async Task<InboundMessage> SaveMediaAsync(
        IServiceProvider services, ILogger logger, int index, InboundMessage message, WhatsAppMedia media, DateTimeOffset retryUntil, CancellationToken cancellationToken)
    {
        var timeout = services.GetRequiredService<IOptionsMonitor<WhatsAppOptions>>().CurrentValue.RequestTimeout;
        var time = services.GetRequiredService<TimeProvider>();
        using var perFile = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        perFile.CancelAfter(timeout * 2);
        for (var attempt = 1; ; attempt++)
        {
            var (saved, failure) = await FetchOnceAsync(services, logger, index, message, media, perFile.Token, cancellationToken);
            if (saved is not null)
            {
                return saved;
            }

            if (failure!.Transient && attempt < MediaAttempts && !perFile.IsCancellationRequested && time.GetUtcNow() < retryUntil)
            {
                Log.MediaFetchRetried(logger, index, attempt, failure.Reason);
                try
                {
                    await Task.Delay(MediaBackoff * attempt, time, perFile.Token);
                    continue;
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = new MediaFetchFailure(true, "WhatsApp did not answer in time");
                }
            }

            Log.MediaFetchFailed(logger, index, attempt, failure.Reason);
            return message with { Unsupported = new UnsupportedContent { Kind = media.Kind, Failed = true, Summary = $"could not be downloaded from WhatsApp ({failure.Reason})" } };
        }
    }

    /// <summary>One attempt: the message with the stored file (or the gateway's refusal as unsupported content); else why not.</summary>
    private static async Task<(InboundMessage? Message, MediaFetchFailure? Failure)> FetchOnceAsync(
        IServiceProvider services, ILogger logger, int index, InboundMessage message, WhatsAppMedia media, CancellationToken perFile, CancellationToken cancellationToken)
    {
        try
        {
            var (response, failure) = await services.GetRequiredService<WhatsAppGraphClient>().GetMediaAsync(media.Id, perFile);
            if (failure is not null)
            {
                return (null, failure);
            }

            using (response)
            {
                await using var content = await response!.Content.ReadAsStreamAsync(perFile);
                try
                {
                    var attachment = await services.GetRequiredService<IAttachmentStore>()
                        .SaveAsync(content, media.FileName ?? media.Kind, media.MimeType ?? response.Content.Headers.ContentType?.MediaType, perFile);
                    return (message with { Attachments = [attachment] }, null);
                }
                catch (AttachmentRejectedException ex)
                {
                    Log.MediaNotKept(logger, index, ex.Message);
                    return (message with { Unsupported = new UnsupportedContent { Kind = media.Kind, Summary = $"not kept: {ex.Message}" } }, null);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return (null, new MediaFetchFailure(true, "WhatsApp did not answer in time"));
        }
        catch (Exception ex) when ((ex is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            return (null, new MediaFetchFailure(true, "the download broke off"));
        }
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

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Line.Api;
using ChatGateway.Plugins.Line.Profiles;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Line.Webhooks;

/// <summary>
/// <c>POST webhook</c> under <c>/channels/{id}</c>: LINE's signed JSON events. The handler resolves everything
/// from <c>RequestServices</c>, a scope of the instance's own container (the gateway's container does not know the
/// plugin's types).
/// </summary>
internal static class LineWebhookEndpoints
{
    private const string LoggerCategory = "ChatGateway.Plugins.Line.Webhooks";

    public static IEndpointRouteBuilder MapLineWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("webhook", new RequestDelegate(HandleWebhookAsync));
        return endpoints;
    }

    private static async Task HandleWebhookAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var options = services.GetRequiredService<IOptionsMonitor<LineOptions>>().CurrentValue;
        var cancellationToken = context.RequestAborted;

        // 1. The size, from the header and again while reading (a chunked body has no Content-Length).
        var body = await ReadBodyAsync(context.Request, options.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {options.MaxBodyBytes} bytes");
            return;
        }

        // 2. Who sent it, over the exact bytes, before anything is parsed.
        var signature = context.Request.Headers[LineSignature.HeaderName].ToString();
        if (signature.Length == 0)
        {
            await RejectAsync(context, logger, StatusCodes.Status401Unauthorized, $"missing {LineSignature.HeaderName}");
            return;
        }

        if (!LineSignature.IsValid(options.ChannelSecret, body, signature))
        {
            await RejectAsync(context, logger, StatusCodes.Status401Unauthorized, "invalid signature");
            return;
        }

        // 3. What it says. The console's "Verify" sends no event at all: answered 200 like any other.
        var time = services.GetRequiredService<TimeProvider>();
        var (events, ignored, error) = LineMapper.ToEvents(body, time.GetUtcNow(), options.ReplyTokenLifetime);
        if (events is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status400BadRequest, error!);
            return;
        }

        // 4. Pictures and files are fetched from LINE and stored before any message of the request is given to the
        // gateway. A fetch worth retrying (LINE busy or down) answers 503 with nothing of the request stored, so LINE
        // delivers the webhook again (isRedelivery); files already saved are cleaned up by the gateway.
        var cache = services.GetRequiredService<LineProfileCache>();
        var messages = new List<InboundMessage>(events.Count);
        foreach (var lineEvent in events)
        {
            var message = lineEvent.Message;
            Log.EventReceived(logger, message.ProviderMessageId, message.Unsupported?.Kind ?? lineEvent.Content?.Kind ?? "text", message.Sender.ExternalId);
            if (lineEvent.Content is not null)
            {
                var (saved, retry) = await SaveContentAsync(services, logger, lineEvent, cancellationToken);
                if (saved is null)
                {
                    await RejectAsync(context, logger, StatusCodes.Status503ServiceUnavailable, retry!);
                    return;
                }

                message = saved;
            }

            messages.Add(WithKnownNames(message, lineEvent.UserId, cache));
        }

        // 5. Stored, then answered. A message the gateway refuses is reported in its item: LINE is still answered 200,
        // since sending it again would be refused again. Any other failure (the store is down) propagates and LINE hears
        // 500, so it sends the whole request again; what was stored is then a duplicate, kept once.
        var items = await services.GetRequiredService<IInboundSink>().AcceptBatchAsync(messages, cancellationToken);
        var profiles = services.GetRequiredService<LineProfileService>();
        for (var i = 0; i < items.Count; i++)
        {
            if (items[i].RefusedReason is { } reason)
            {
                Log.EventRefused(logger, messages[i].ProviderMessageId, reason);
            }
            else
            {
                // Only now: the gateway knows the contact the profile is for. Queued, never awaited here.
                profiles.RequestFor(events[i]);
            }
        }

        Log.WebhookAccepted(logger, events.Count + ignored, items.Count(item => item.Accepted), items.Count(item => !item.Accepted), ignored);
        await Results.Ok().ExecuteAsync(context);
    }

    /// <summary>The names fetched lately: the member's as the speaker's (the customer's in a one-to-one chat), the group's as its title.</summary>
    private static InboundMessage WithKnownNames(InboundMessage message, string? userId, LineProfileCache cache)
    {
        if (userId is not null && cache.NameOf(LineProfileCache.UserKey(userId)) is { } name)
        {
            message = message with { Sender = message.Sender with { DisplayName = name } };
        }

        if (message.Chat is { Kind: ChatKind.Group } chat && cache.NameOf(LineProfileCache.GroupKey(chat.ExternalId)) is { } title)
        {
            message = message with { Chat = chat with { Title = title } };
        }

        return message;
    }

    /// <summary>
    /// The message with its content stored as an attachment; with unsupported content instead when LINE no longer has it
    /// or the gateway does not take it; or null and the reason when the fetch is worth LINE's redelivery.
    /// </summary>
    private static async Task<(InboundMessage? Message, string? Retry)> SaveContentAsync(
        IServiceProvider services, ILogger logger, LineEvent lineEvent, CancellationToken cancellationToken)
    {
        var message = lineEvent.Message;
        var (contentId, kind, fileName) = lineEvent.Content!;
        var timeout = services.GetRequiredService<IOptionsMonitor<LineOptions>>().CurrentValue.RequestTimeout;
        using var perFile = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        perFile.CancelAfter(timeout);
        try
        {
            var (response, failure) = await services.GetRequiredService<LineContentClient>().GetMessageContentAsync(contentId, perFile.Token);
            if (failure is not null)
            {
                if (failure.Transient)
                {
                    Log.ContentFetchFailed(logger, message.ProviderMessageId, failure.Reason);
                    return (null, $"the content of message {message.ProviderMessageId} could not be fetched from LINE ({failure.Reason}); send it again");
                }

                Log.ContentNotKept(logger, message.ProviderMessageId, failure.Reason);
                return (message with { Unsupported = new UnsupportedContent { Kind = kind, Summary = $"could not be fetched from LINE ({failure.Reason})" } }, null);
            }

            using (response)
            {
                await using var content = await response!.Content.ReadAsStreamAsync(perFile.Token);
                try
                {
                    var attachment = await services.GetRequiredService<IAttachmentStore>()
                        .SaveAsync(content, fileName, response.Content.Headers.ContentType?.MediaType, perFile.Token);
                    return (message with { Attachments = [attachment] }, null);
                }
                catch (AttachmentRejectedException ex)
                {
                    Log.ContentNotKept(logger, message.ProviderMessageId, ex.Message);
                    return (message with { Unsupported = new UnsupportedContent { Kind = kind, Summary = $"not kept: {ex.Message}" } }, null);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            Log.ContentFetchFailed(logger, message.ProviderMessageId, "timeout");
            return (null, $"the content of message {message.ProviderMessageId} did not arrive from LINE within {timeout.TotalSeconds:0.###} s; send it again");
        }
        catch (Exception ex) when ((ex is HttpRequestException or IOException) && !cancellationToken.IsCancellationRequested)
        {
            Log.ContentFetchFailed(logger, message.ProviderMessageId, "the download broke off");
            return (null, $"the download of message {message.ProviderMessageId}'s content from LINE broke off; send it again");
        }
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

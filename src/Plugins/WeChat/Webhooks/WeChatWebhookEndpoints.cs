using System.Text;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;
using ChatGateway.Plugins.WeChat.Profiles;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WeChat.Webhooks;

/// <summary>
/// <c>GET webhook</c>: the 公众平台's server verification (echoes <c>echostr</c>). <c>POST webhook</c>: one XML message,
/// signed in the query string (<c>signature</c>, and <c>msg_signature</c> over the Encrypt element in safe mode).
/// WeChat waits 5 s and retries 3 times; <c>success</c> is answered only once the message is stored.
/// </summary>
internal static class WeChatWebhookEndpoints
{
    private const string LoggerCategory = "ChatGateway.Plugins.WeChat.Webhooks";

    public static IEndpointRouteBuilder MapWeChatWebhook(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("webhook", new RequestDelegate(HandleVerificationAsync));
        endpoints.MapPost("webhook", new RequestDelegate(HandleWebhookAsync));
        return endpoints;
    }

    private static async Task HandleVerificationAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var options = services.GetRequiredService<IOptionsMonitor<WeChatOptions>>().CurrentValue;
        var query = context.Request.Query;
        if (!IsSigned(options, query))
        {
            await RejectAsync(context, logger, StatusCodes.Status403Forbidden, "invalid signature");
            return;
        }

        await Results.Text(query["echostr"].ToString(), "text/plain").ExecuteAsync(context);
    }

    private static bool IsSigned(WeChatOptions options, IQueryCollection query) =>
        WeChatSignature.IsValid(query["signature"].ToString(), options.Token, query["timestamp"].ToString(), query["nonce"].ToString());

    private static async Task HandleWebhookAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var options = services.GetRequiredService<IOptionsMonitor<WeChatOptions>>().CurrentValue;
        var cancellationToken = context.RequestAborted;
        var query = context.Request.Query;

        // 1. Who sent it: the query-string signature, before the body is read or parsed.
        if (!IsSigned(options, query))
        {
            await RejectAsync(context, logger, StatusCodes.Status403Forbidden, "invalid or missing signature");
            return;
        }

        // 2. The size, from the header and again while reading (a chunked body has no Content-Length).
        var body = await ReadBodyAsync(context.Request, options.MaxBodyBytes, cancellationToken);
        if (body is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status413PayloadTooLarge, $"the body is larger than {options.MaxBodyBytes} bytes");
            return;
        }

        // 3. What it says (DTDs refused), decrypted first in safe mode, where msg_signature covers the Encrypt element: there
        // a body whose Encrypt element cannot be read is unproven (403), not malformed.
        var safeMode = string.Equals(query["encrypt_type"].ToString(), "aes", StringComparison.OrdinalIgnoreCase);
        var (fields, error) = WeChatXml.Read(body);
        if (fields is null)
        {
            await RejectAsync(context, logger, safeMode ? StatusCodes.Status403Forbidden : StatusCodes.Status400BadRequest,
                safeMode ? "a safe-mode body without a readable Encrypt element: its msg_signature cannot be checked" : error!);
            return;
        }

        if (safeMode)
        {
            if (!fields.TryGetValue("Encrypt", out var encrypted) || encrypted.Length == 0)
            {
                await RejectAsync(context, logger, StatusCodes.Status403Forbidden, "a safe-mode body without an Encrypt element: its msg_signature cannot be checked");
                return;
            }

            if (!WeChatSignature.IsValid(query["msg_signature"].ToString(), options.Token, query["timestamp"].ToString(), query["nonce"].ToString(), encrypted))
            {
                await RejectAsync(context, logger, StatusCodes.Status403Forbidden, "invalid msg_signature");
                return;
            }

            if (options.EncodingAESKey.Length == 0)
            {
                await RejectAsync(context, logger, StatusCodes.Status400BadRequest, "a safe-mode message but no EncodingAESKey is set");
                return;
            }

            var (xml, decryptError) = WeChatCrypto.Decrypt(options.EncodingAESKey, options.AppId, encrypted);
            if (xml is null)
            {
                // Signed, yet not for us or not readable: who sent it is unproven for this account.
                await RejectAsync(context, logger, StatusCodes.Status403Forbidden, decryptError!);
                return;
            }

            (fields, error) = WeChatXml.Read(xml);
            if (fields is null)
            {
                await RejectAsync(context, logger, StatusCodes.Status400BadRequest, error!);
                return;
            }
        }

        var (inbound, mapError) = WeChatMapper.ToInbound(fields);
        if (inbound is null)
        {
            await RejectAsync(context, logger, StatusCodes.Status400BadRequest, mapError!);
            return;
        }

        if (inbound.Unsubscribed is { } openId)
        {
            Log.Unsubscribed(logger, openId);
            // Not reachable on WeChat any more: this channel only (their SMS or email are their own choices).
            await services.GetRequiredService<IOutreachPreferences>().SetAsync(openId, OutreachPreference.None, thisChannelOnly: true, cancellationToken);
        }

        if (inbound.Message is { } message)
        {
            var userInfo = services.GetRequiredService<WeChatUserInfoService>();
            if (userInfo.LanguageOf(message.Sender.ExternalId) is { } language)
            {
                message = message with { Sender = message.Sender with { Language = language } };
            }

            if (inbound.MediaId is { Length: > 0 } mediaId)
            {
                message = await AttachMediaAsync(services, logger, message, mediaId, inbound.MediaFileName!, cancellationToken);
            }

            Log.MessageReceived(logger, message.ProviderMessageId, message.Sender.ExternalId);
            try
            {
                await services.GetRequiredService<IInboundSink>().AcceptAsync(message, cancellationToken);
            }
            catch (InboundRejectedException ex)
            {
                // Sent again it would be refused again: acknowledge.
                Log.MessageRefused(logger, message.ProviderMessageId, ex.Message);
            }

            // After the message is stored, in the background: the answer never waits for WeChat's user info.
            userInfo.RequestFor(message.Sender.ExternalId);
        }

        await Results.Text("success", "text/plain").ExecuteAsync(context);
    }

    /// <summary>
    /// The message with its media attached; or, when WeChat would not hand it over in <see cref="MediaAttempts"/> tries
    /// within <see cref="MediaBudget"/>, with the media as failed content (the agent sees it failed, and why).
    /// </summary>
    private static async Task<InboundMessage> AttachMediaAsync(
        IServiceProvider services, ILogger logger, InboundMessage message, string mediaId, string fileName, CancellationToken cancellationToken)
    {
        var kind = Path.GetFileNameWithoutExtension(fileName);
        var tokens = services.GetRequiredService<WeChatAccessTokens>();
        var api = services.GetRequiredService<WeChatApiClient>();
        var attachments = services.GetRequiredService<IAttachmentStore>();
        var time = services.GetRequiredService<TimeProvider>();

        // WeChat gives up on an answer after 5 s: every attempt (and the save) fits well within it.
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        budget.CancelAfter(MediaBudget);
        var reason = "";
        for (var attempt = 1; attempt <= MediaAttempts; attempt++)
        {
            try
            {
                var (saved, failure) = await DownloadAsync(tokens, api, attachments, mediaId, fileName, budget.Token);
                if (saved is not null)
                {
                    return message with { Attachments = [saved] };
                }

                if (failure is null)
                {
                    // Refused by the gateway's store (size, type): not a download failure, and trying again changes nothing.
                    return message with { Unsupported = new UnsupportedContent { Kind = kind, Summary = "the file was not accepted by the gateway's file store" } };
                }

                reason = failure;
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                reason = "WeChat did not hand it over in time";
                break;
            }

            Log.MediaAttemptFailed(logger, message.ProviderMessageId, attempt, reason);
            if (attempt < MediaAttempts)
            {
                try
                {
                    await Task.Delay(MediaRetryDelay * attempt, time, budget.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        Log.MediaFailed(logger, message.ProviderMessageId, reason);
        return message with
        {
            Unsupported = new UnsupportedContent { Kind = kind, Failed = true, Summary = $"could not be downloaded from WeChat ({reason})" },
        };
    }

    /// <summary>How many times a media download is tried.</summary>
    internal const int MediaAttempts = 3;

    /// <summary>All attempts of a media download (and its save) end within this, half of WeChat's 5-second wait.</summary>
    internal static readonly TimeSpan MediaBudget = TimeSpan.FromSeconds(2.5);

    private static readonly TimeSpan MediaRetryDelay = TimeSpan.FromMilliseconds(150);

    /// <summary>One try: the saved attachment; or null and why it failed; or null, null when the store refused the file.</summary>
    private static async Task<(MessageAttachment? Attachment, string? Failure)> DownloadAsync(
        WeChatAccessTokens tokens, WeChatApiClient api, IAttachmentStore attachments, string mediaId, string fileName, CancellationToken cancellationToken)
    {
        var token = await tokens.GetAsync(cancellationToken);
        if (token is null)
        {
            return (null, "no access_token");
        }

        var (media, error) = await api.GetMediaAsync(token, mediaId, cancellationToken);
        if (error is { TokenInvalid: true })
        {
            token = await tokens.RefreshAsync(token, cancellationToken);
            (media, error) = token is null ? (null, error) : await api.GetMediaAsync(token, mediaId, cancellationToken);
        }

        if (media is null)
        {
            return (null, error switch
            {
                { HttpStatus: not 200 } => $"WeChat answered {error.HttpStatus}",
                { Unreachable: true } => error.ErrMsg ?? "could not reach WeChat",
                _ => $"errcode {error!.ErrCode}",
            });
        }

        using (media)
        {
            try
            {
                await using var content = await media.Content.ReadAsStreamAsync(cancellationToken);
                return (await attachments.SaveAsync(content, fileName, media.Content.Headers.ContentType?.MediaType, cancellationToken), null);
            }
            catch (AttachmentRejectedException)
            {
                return (null, null);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException)
            {
                return (null, "the download broke off");
            }
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
        return Results.Text(reason, "text/plain", Encoding.UTF8, statusCode).ExecuteAsync(context);
    }
}

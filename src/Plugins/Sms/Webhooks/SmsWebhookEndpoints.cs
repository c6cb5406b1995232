using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Media;

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Sms.Webhooks;

/// <summary>
/// <c>POST messages</c> (inbound SMS) and <c>POST status</c> (status callbacks) under <c>/channels/{id}</c>.
/// Handlers are plain request delegates that resolve everything from <c>RequestServices</c>, which is a
/// scope of the instance's own container: the app container does not know the plugin's types.
/// </summary>
internal static class SmsWebhookEndpoints
{
    // Twilio expects TwiML; an empty response means "no reply from the webhook".
    internal const string EmptyTwiml = """<?xml version="1.0" encoding="UTF-8"?><Response></Response>""";

    private const string LoggerCategory = "ChatGateway.Plugins.Sms.Webhooks";

    public static IEndpointRouteBuilder MapTwilioSmsWebhooks(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost("messages", new RequestDelegate(HandleInboundMessageAsync));
        endpoints.MapPost("status", new RequestDelegate(HandleStatusCallbackAsync));
        return endpoints;
    }

    /// <summary>
    /// Reads the form, verifies Twilio's signature before anything is parsed, and requires the fields;
    /// null when the request was rejected (the reason has been sent).
    /// </summary>
    private static async Task<IReadOnlyDictionary<string, Microsoft.Extensions.Primitives.StringValues>?> ReadVerifiedAsync(HttpContext context, ILogger logger, string endpoint, IReadOnlyList<string> requiredFields)
    {
        var options = context.RequestServices.GetRequiredService<IOptionsMonitor<SmsOptions>>().CurrentValue;
        var (form, rejection) = await TwilioWebhookReader.ReadAsync(context.Request, options, context.RequestAborted);
        if (form is null)
        {
            await RejectAsync(context, logger, endpoint, rejection!);
            return null;
        }

        if (TwilioMapper.MissingFields(form, requiredFields) is { } missing)
        {
            await RejectAsync(context, logger, endpoint, new WebhookRejection(StatusCodes.Status400BadRequest, missing));
            return null;
        }

        return form;
    }

    private static async Task HandleInboundMessageAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var cancellationToken = context.RequestAborted;
        if (await ReadVerifiedAsync(context, logger, "messages", TwilioMapper.InboundRequiredFields) is not { } form)
        {
            return;
        }

        var options = services.GetRequiredService<IOptionsMonitor<SmsOptions>>().CurrentValue;
        var (media, mediaError) = TwilioMapper.ReadMedia(form, new Uri(options.ApiBaseAddress));
        if (mediaError is not null)
        {
            await RejectAsync(context, logger, "messages", new WebhookRejection(StatusCodes.Status400BadRequest, mediaError));
            return;
        }

        var message = TwilioMapper.ToInboundMessage(form);
        Log.InboundReceived(logger, message.ProviderMessageId, message.Sender.ExternalId);

        // The files are stored before the message is given to the gateway, which only then commits it with them.
        if (media.Count > 0)
        {
            var store = services.GetRequiredService<IAttachmentStore>();
            var (saved, retry) = await services.GetRequiredService<InboundMediaSaver>()
                .SaveAsync(message.ProviderMessageId, media, store, cancellationToken);
            if (saved is null)
            {
                await RejectAsync(context, logger, "messages", new WebhookRejection(StatusCodes.Status503ServiceUnavailable, retry!.Reason));
                return;
            }

            message = message with
            {
                Text = TwilioMapper.WithNotes(message.Text, saved.Notes),
                Attachments = saved.Attachments.Count > 0 ? saved.Attachments : null,
                Unsupported = saved.Unsupported,
            };
        }

        InboundResult result;
        try
        {
            result = await services.GetRequiredService<IInboundSink>().AcceptAsync(message, cancellationToken);
        }
        catch (InboundRejectedException ex)
        {
            await RejectAsync(context, logger, "messages", new WebhookRejection(StatusCodes.Status400BadRequest, ex.Message));
            return;
        }

        // Stored like any message (the agent sees the STOP); then the choice, for a redelivery too: a choice that
        // failed to record the first time (Twilio heard 500 and retries) is recorded now, and recording it again
        // changes nothing.
        if (TwilioMapper.ToOutreachChoice(form) is { } choice)
        {
            var preferences = services.GetRequiredService<IOutreachPreferences>();
            var known = choice.Decline
                ? await preferences.DeclineAsync(message.Sender.ExternalId, choice.Preference, cancellationToken)
                : await preferences.SetAsync(message.Sender.ExternalId, choice.Preference, choice.ThisChannelOnly, cancellationToken);
            Log.OutreachChoice(logger, message.ProviderMessageId, choice.Preference.ToString(), choice.ThisChannelOnly, known);
        }

        // Only now is the message committed, so only now may Twilio hear 200. A duplicate is acknowledged too.
        Log.InboundAccepted(logger, message.ProviderMessageId, result.MessageId, result.Duplicate);
        await Results.Text(EmptyTwiml, "text/xml; charset=utf-8", statusCode: StatusCodes.Status200OK).ExecuteAsync(context);
    }

    private static async Task HandleStatusCallbackAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(LoggerCategory);
        var cancellationToken = context.RequestAborted;
        if (await ReadVerifiedAsync(context, logger, "status", TwilioMapper.StatusRequiredFields) is not { } form)
        {
            return;
        }

        var messageStatus = form["MessageStatus"].ToString();
        var update = TwilioMapper.ToDeliveryStatusUpdate(form);
        if (update is null)
        {
            Log.StatusIgnored(logger, form["MessageSid"].ToString(), messageStatus);
        }
        else
        {
            // Unknown sids are normal (messages sent before a restore, or by another system): still 200.
            var known = await services.GetRequiredService<IDeliveryStatusSink>().ReportAsync(update, cancellationToken);
            Log.StatusReported(logger, update.ProviderMessageId, messageStatus, known);
        }

        await Results.Ok().ExecuteAsync(context);
    }

    private static Task RejectAsync(HttpContext context, ILogger logger, string endpoint, WebhookRejection rejection)
    {
        Log.WebhookRejected(logger, endpoint, rejection.StatusCode, rejection.Reason);
        return Results.Json(new { error = rejection.Reason }, statusCode: rejection.StatusCode).ExecuteAsync(context);
    }
}

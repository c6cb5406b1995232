using ChatGateway.Abstractions;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// Accepts inbound messages: checks them, has the <see cref="InboundWriter"/> store them (dedupe by
/// (instance, provider message id), resolve the contact (the same verified phone or email is the same contact;
/// what a customer only typed is kept on their own contact),
/// open or reuse the conversation, commit), then hands the conversation to routing. Returns only after
/// the commit and the hand-off, so channels acknowledge providers after both.
/// </summary>
internal sealed partial class IngestService(
    InboundWriter writer,
    ConversationRouter router,
    GatewayEventBus events,
    AutoReplyService autoReply,
    HandOffRetryService retries,
    Plugins.ChannelRegistry channels,
    SurveyAnswers surveys,
    RichInbound rich,
    IOptions<IngestOptions> ingestOptions,
    ILogger<IngestService> logger,
    Telemetry.GatewayMetrics metrics)
{
    public async Task<InboundResult> AcceptAsync(string instanceId, InboundMessage message, CancellationToken cancellationToken)
    {
        // Null unless traces are exported: then nothing below is spent on it.
        using var activity = Telemetry.GatewayTracing.Source.StartActivity(Telemetry.GatewayTracing.Ingest);
        Validate(message);
        var extras = await rich.PrepareAsync(instanceId, message, cancellationToken);
        if (extras?.Notice is { } notice)
        {
            message = message with { Text = string.IsNullOrEmpty(message.Text) ? notice : message.Text + "\n\n" + notice };
        }

        if (message.Chat is not null || message.Unsupported is not null || message.ReplyContext is not null || message.Origin is not null)
        {
            (message, extras) = ChatExtras(message, extras ?? InboundExtras.None);
        }

        var pending = new PendingInbound(
            instanceId, channels.ChannelTypeOf(instanceId), message, ContactKeys.NormalizePhone(message.Sender.Phone), ContactKeys.NormalizeEmail(message.Sender.Email))
        {
            Extras = extras,
            Trace = activity?.Context ?? default,
        };
        var ingested = await writer.WriteAsync(pending, cancellationToken);
        if (activity is not null)
        {
            activity.SetTag(Telemetry.GatewayTracing.ChannelTag, instanceId);
            activity.SetTag(Telemetry.GatewayTracing.ChannelTypeTag, pending.ChannelType);
            activity.SetTag(Telemetry.GatewayTracing.ConversationTag, ingested.Result.ConversationId);
            activity.SetTag(Telemetry.GatewayTracing.MessageTag, ingested.Result.MessageId);
            activity.SetTag("chatgateway.duplicate", ingested.Result.Duplicate);
        }

        if (!ingested.Result.Duplicate)
        {
            metrics.Inbound(instanceId, pending.ChannelType);
        }
        if (ingested.HandOff is { } handOff)
        {
            await HandOffAsync(handOff);
        }

        return ingested.Result;
    }

    private async Task HandOffAsync(RoutingHandOff c)
    {
        // The message is committed; a failed hand-off is retried at once with backoff (HandOffRetryService),
        // and RoutingRecoveryService is the safety net behind that: never lost.
        try
        {
            // A waiting conversation is queued when it opens; later messages only join its history
            // (RoutingRecoveryService requeues one whose first hand-off failed).
            // The customer's answer to a satisfaction survey (a bare 1-5) is recorded and closes the conversation again:
            // nobody is assigned. Looked into only for a conversation the gateway started (FromPending).
            if (c.FromPending && c.Status == ConversationStatus.Waiting && await surveys.TryRecordAsync(c, CancellationToken.None))
            {
                return;
            }

            if (c.Status == ConversationStatus.Waiting && c.IsNew)
            {
                var taken = await router.EnqueueAsync(c.ConversationId, c.Skill, c.Priority, c.CreatedAt, c.PreferredAgent, c.ChannelType);
                if (!taken)
                {
                    await autoReply.SendIfNeededAsync(c.ConversationId, c.Skill);
                }
            }

            if (c.Status == ConversationStatus.Assigned && c.AssignedAgentId is { } agentId)
            {
                // The message travels with the event: the agent's instance pushes it without reading it back.
                await events.PublishAsync(new GatewayEvent(
                    GatewayEventTypes.MessageAdded, c.ConversationId, agentId, c.Message.Id, ToDto(c)));
            }
        }
        catch (Exception ex)
        {
            LogHandOffFailed(logger, ex, c.ConversationId, c.Message.InstanceId);
            if (c.Status == ConversationStatus.Waiting && c.IsNew)
            {
                retries.Schedule(new HandOffRetry(c.ConversationId, c.PreferredAgent, c.ChannelType));
            }
        }
    }

    private MessageDto ToDto(RoutingHandOff c) => c.Extras is not { } extras
        ? c.Message.ToDto(channels.ChannelTypeOf)
        : c.Message.ToDto(
            channels.ChannelTypeOf,
            new MessageContent
            {
                MessageId = c.Message.Id, InstanceId = c.Message.InstanceId, Subject = extras.Subject, Html = extras.Html, AutoSubmitted = extras.AutoSubmitted,
                SpeakerId = extras.SpeakerId, SpeakerName = extras.SpeakerName, UnsupportedKind = extras.UnsupportedKind, UnsupportedSummary = extras.UnsupportedSummary,
                UnsupportedFailed = extras.UnsupportedFailed, OriginKind = extras.OriginKind, OriginReference = extras.OriginReference, OriginUrl = extras.OriginUrl,
                OriginTitle = extras.OriginTitle,
            },
            extras.Attachments);

    /// <summary>
    /// A group chat's message becomes the group's (its contact and conversation, answers to the group) with its speaker
    /// kept on the message; content the channel could not map is named in the text when there is no other; a reply
    /// context is kept for the next answer.
    /// </summary>
    private static (InboundMessage Message, InboundExtras Extras) ChatExtras(InboundMessage message, InboundExtras extras)
    {
        if (message.Chat is { } chat)
        {
            extras = extras with
            {
                SpeakerId = message.Sender.ExternalId,
                SpeakerName = VisibleText.OneLine(message.Sender.DisplayName ?? message.Sender.DeclaredName, 200),
            };
            // The member's phone or email proves who they are, not who the group is: nothing of theirs joins the group's contact.
            message = message with { Sender = new ChannelSender { ExternalId = chat.ExternalId.Trim(), DisplayName = VisibleText.OneLine(chat.Title, 200) } };
        }

        if (message.Unsupported is { } unsupported)
        {
            var kind = VisibleText.OneLine(unsupported.Kind.ToLowerInvariant(), 40)!;
            var summary = VisibleText.OneLine(unsupported.Summary, 500);
            extras = extras with { UnsupportedKind = kind, UnsupportedSummary = summary, UnsupportedFailed = unsupported.Failed };
            if (VisibleText.IsBlank(message.Text) && message.Attachments is not { Count: > 0 })
            {
                message = message with { Text = summary is null ? $"[{kind}]" : $"[{kind}: {summary}]" };
            }
        }

        if (message.ReplyContext is { } context)
        {
            extras = extras with { ReplyContext = context };
        }

        if (message.Origin is { } origin)
        {
            // A link only when it is one a browser may open safely from the desk: an absolute http(s) address.
            var url = origin.Url?.Trim();
            var safeUrl = url is { Length: <= 2000 } && Uri.TryCreate(url, UriKind.Absolute, out var parsed) && parsed.Scheme is "http" or "https"
                ? parsed.AbsoluteUri
                : null;
            extras = extras with
            {
                OriginKind = VisibleText.OneLine(origin.Kind.ToLowerInvariant(), 40),
                OriginReference = VisibleText.OneLine(origin.Reference, 200),
                OriginUrl = safeUrl is { Length: <= 2000 } ? safeUrl : null,
                OriginTitle = VisibleText.OneLine(origin.Title, 300),
            };
        }

        return (message, extras);
    }

    private void Validate(InboundMessage message)
    {
        if (string.IsNullOrWhiteSpace(message.ProviderMessageId) || message.ProviderMessageId.Length > 200)
        {
            throw new InboundRejectedException("provider message id is required (at most 200 characters)");
        }

        if (string.IsNullOrWhiteSpace(message.Sender?.ExternalId) || message.Sender.ExternalId.Length > 200)
        {
            throw new InboundRejectedException("sender id is required (at most 200 characters)");
        }

        if (message.Text is null || (VisibleText.IsBlank(message.Text) && message.Attachments is not { Count: > 0 } && message.Unsupported is null))
        {
            throw new InboundRejectedException("message text is empty (nothing visible after removing spaces, control and invisible characters) and it carries no file");
        }

        if (message.Chat is { } chat && (string.IsNullOrWhiteSpace(chat.ExternalId) || chat.ExternalId.Length > 200 || !Enum.IsDefined(chat.Kind)))
        {
            throw new InboundRejectedException("chat id is required (at most 200 characters) and its kind must be a group or a room");
        }

        if (message.Unsupported is { } unsupported && (string.IsNullOrWhiteSpace(unsupported.Kind) || unsupported.Kind.Length > 40))
        {
            throw new InboundRejectedException("unsupported content needs a kind (at most 40 characters)");
        }

        if (message.Origin is { } origin && (string.IsNullOrWhiteSpace(origin.Kind) || origin.Kind.Length > 40))
        {
            throw new InboundRejectedException("an origin needs a kind (at most 40 characters)");
        }

        if (message.ReplyContext is { } context && (string.IsNullOrEmpty(context.Value) || context.Value.Length > 1000))
        {
            throw new InboundRejectedException("a reply context needs a value of at most 1,000 characters");
        }

        var max = ingestOptions.Value.MaxTextLength;
        if (message.Text.Length > max)
        {
            throw new InboundRejectedException($"message is {message.Text.Length} characters; the limit is {max}");
        }
    }

    [LoggerMessage(EventId = 2002, Level = LogLevel.Error, Message = "Hand-off of conversation {ConversationId} (channel {InstanceId}) to routing failed; retrying")]
    private static partial void LogHandOffFailed(ILogger logger, Exception exception, Guid conversationId, string instanceId);
}

/// <summary>The inbound sink of one channel instance.</summary>
internal sealed class InstanceInboundSink(IngestService ingest, string instanceId) : IInboundSink
{
    public Task<InboundResult> AcceptAsync(InboundMessage message, CancellationToken cancellationToken) =>
        ingest.AcceptAsync(instanceId, message, cancellationToken);
}

using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Ingest;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Conversations;

/// <summary>Satisfaction survey answers (section <c>Survey</c>).</summary>
internal sealed class SurveyOptions
{
    /// <summary>How long after the survey went out a bare 1-5 counts as its answer; later it is an ordinary message.</summary>
    public TimeSpan AnswerWindow { get; set; } = TimeSpan.FromHours(48);

    /// <summary>The thanks for a rating, by the conversation's language (<c>zh</c>, <c>en</c>; the shop's when it is not known).</summary>
    public Dictionary<string, string> Thanks { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["zh"] = "谢谢您的评价！",
        ["en"] = "Thanks for your rating!",
    };
}

internal sealed class SurveyOptionsValidator : IValidateOptions<SurveyOptions>
{
    public ValidateOptionsResult Validate(string? name, SurveyOptions options)
    {
        var errors = new List<string>();
        if (options.AnswerWindow <= TimeSpan.Zero || options.AnswerWindow > TimeSpan.FromDays(30))
        {
            errors.Add($"Survey:AnswerWindow must be more than zero and at most 30 days (e.g. 2.00:00:00), not {options.AnswerWindow}.");
        }

        foreach (var (language, text) in options.Thanks.Where(t => string.IsNullOrWhiteSpace(t.Value) || t.Value.Length > 500))
        {
            errors.Add($"Survey:Thanks:{language} must be a text of 1-500 characters.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>
/// Takes a customer's answer to the satisfaction survey: the survey (a follow-up of kind <c>survey</c>, sent into the
/// closed conversation it is about, which became pending) is answered with a bare 1-5. The rating is stored on the
/// conversation, which closes again without routing or an agent, and the customer is thanked through the normal
/// delivery path. Only the first rating counts; anything else, or an answer after <see cref="SurveyOptions.AnswerWindow"/>,
/// routes like any message. Looked into only for a message that opened a pending conversation, and queries the store
/// only when its text is a rating.
/// </summary>
internal sealed partial class SurveyAnswers(
    IDbContextFactory<GatewayDbContext> dbFactory,
    DeliveryService delivery,
    GatewayEventBus events,
    BusinessHours hours,
    FollowUps.FollowUpSettings shop,
    IOptionsMonitor<SurveyOptions> options,
    TimeProvider time,
    ILogger<SurveyAnswers> logger,
    Webhooks.WebhookOutbox webhooks)
{
    /// <summary>The answers a survey offers (buttons in the widget; the SMS text says "回复1-5").</summary>
    public static readonly IReadOnlyList<string> Choices = ["1", "2", "3", "4", "5"];

    /// <summary>
    /// 1-5 when the whole text (trimmed) is one digit, ASCII or full-width, optionally followed by 分 or 星
    /// ("5", "５", "4分", "5星"); null for anything else ("4 but the parcel is broken", "10", "五星").
    /// </summary>
    public static int? ParseRating(string text)
    {
        var t = text.AsSpan().Trim();
        if (t.Length == 2 && t[1] is '分' or '星')
        {
            t = t[..1];
        }

        if (t.Length != 1)
        {
            return null;
        }

        return t[0] switch
        {
            >= '1' and <= '5' => t[0] - '0',
            >= '１' and <= '５' => t[0] - '１' + 1,
            _ => null,
        };
    }

    /// <summary>
    /// True when the message was the survey's answer and has been recorded (the caller routes nothing); false when it
    /// is an ordinary message to route.
    /// </summary>
    public async Task<bool> TryRecordAsync(RoutingHandOff handOff, CancellationToken cancellationToken)
    {
        if (!handOff.FromPending || ParseRating(handOff.Message.Text) is not { } rating)
        {
            return false;
        }

        var now = time.GetUtcNow();
        var since = now - options.CurrentValue.AnswerWindow;
        var conversationId = handOff.ConversationId;
        var messageId = handOff.Message.Id;
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var surveyed = await db.FollowUps.AnyAsync(
            f => f.ConversationId == conversationId && f.Kind == FollowUpKinds.Survey && f.Status == FollowUpStatus.Sent && (f.DoneAt ?? f.DueAt) >= since,
            cancellationToken);
        if (!surveyed)
        {
            return false;
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Still waiting, not rated, and this rating still the customer's latest message: a second message that came
        // in meanwhile ("5 ... and where is my refund?") makes it a conversation to route.
        var rated = await db.Conversations
            .Where(c => c.Id == conversationId && c.Status == ConversationStatus.Waiting && c.SurveyRating == null
                && db.InboundHeads.Any(h => h.ConversationId == conversationId && h.LastMessageId == messageId))
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.SurveyRating, rating)
                .SetProperty(c => c.SurveyRatedAt, now)
                .SetProperty(c => c.Status, ConversationStatus.Closed), cancellationToken);
        if (rated == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            return false;
        }

        var conversation = await db.Conversations.AsNoTracking().FirstAsync(c => c.Id == conversationId, cancellationToken);
        db.Messages.Add(new Message
        {
            Id = Ids.NewVersion7(now),
            ConversationId = conversationId,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Out,
            Text = ThanksFor(conversation.Language),
            Status = MessageStatus.Pending,
            AgentName = hours.Options.SenderNameIn(CustomerLanguage.Of(conversation.Language, shop.Current.DefaultLanguage)),
            NextAttemptAt = now,
            CreatedAt = now,
        });
        await webhooks.ClosedAsync(db, conversationId);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRated(logger, conversationId, rating);

        delivery.Signal();
        try
        {
            // The customer's live channel shows the conversation closed again (no agent is coming).
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Closed, conversationId));
        }
        catch (Exception ex)
        {
            // Recorded and committed: the caller must not route it. The widget shows it closed on its next load.
            LogNotTold(logger, ex, conversationId);
        }

        return true;
    }

    private string ThanksFor(string? language)
    {
        // One language: the customer's, else the shop's (never both in one message).
        var thanks = options.CurrentValue.Thanks;
        var wanted = CustomerLanguage.Of(language, shop.Current.DefaultLanguage);
        return thanks.TryGetValue(wanted, out var text) ? text
            : thanks.TryGetValue(shop.Current.DefaultLanguage, out var shops) ? shops : thanks.Values.FirstOrDefault() ?? "";
    }

    [LoggerMessage(EventId = 8110, Level = LogLevel.Information, Message = "Conversation {ConversationId} rated {Rating} by the customer's survey answer; closed again without routing")]
    private static partial void LogRated(ILogger logger, Guid conversationId, int rating);

    [LoggerMessage(EventId = 8111, Level = LogLevel.Warning, Message = "Conversation {ConversationId} was rated, but its customer's live channel could not be told it closed")]
    private static partial void LogNotTold(ILogger logger, Exception exception, Guid conversationId);
}

using System.Globalization;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.FollowUps.Callbacks;

/// <summary>
/// Fires a promised callback. Step 1 reminds whoever has the conversation now (the promise goes with the conversation
/// when it is transferred; the agent who promised when nobody has it). Step 2, at the promised time, looks whether an
/// agent wrote in the conversation since the promise: kept; else the conversation is flagged for a supervisor with a note
/// in its thread saying why, and the supervisors and the agent who promised are alerted. A reminder whose promise an
/// agent already answered is skipped.
/// </summary>
internal sealed partial class CallbackHandler(ShopTime shop, TimeProvider time, ILogger<CallbackHandler> logger) : IFollowUpKindHandler
{
    public string Kind => FollowUpKinds.Callback;

    public async Task<FollowUpHandled> FireAsync(GatewayDbContext db, FollowUp followUp, CancellationToken cancellationToken)
    {
        var conversation = followUp.ConversationId is { } id
            ? await db.Conversations.FirstOrDefaultAsync(c => c.Id == id, cancellationToken)
            : null;
        if (conversation is null)
        {
            return new(FollowUpOutcome.Skipped("the conversation is gone"));
        }

        var promise = followUp.Step == 1 ? await PromiseOfAsync(followUp, db, cancellationToken) : null;
        var due = shop.ToShop(promise?.DueAt ?? followUp.DueAt);
        // An agent wrote to the customer in the conversation since the promise was made: it is kept.
        var answered = await db.Messages.AsNoTracking().AnyAsync(
            m => m.ConversationId == conversation.Id && m.Direction == MessageDirection.Out && m.AgentId != null && m.CreatedAt > followUp.CreatedAt,
            cancellationToken);
        if (followUp.Step == 1)
        {
            if (promise is { Status: FollowUpStatus.Cancelled })
            {
                return new(FollowUpOutcome.Skipped("the promise was cancelled"));
            }

            if (answered)
            {
                // Nothing to remind of: the check at the promised time will find it kept.
                return new(FollowUpOutcome.Skipped("kept already: an agent answered the customer"));
            }

            var holder = conversation.Status == ConversationStatus.Assigned && conversation.AssignedAgentId is { } assigned ? assigned : followUp.AgentId;
            if (holder is null)
            {
                return new(FollowUpOutcome.Skipped("nobody to remind"));
            }

            return new(new FollowUpOutcome(FollowUpStatus.Sent, "agent reminded"))
            {
                Events = [new GatewayEvent(GatewayEventTypes.PromiseDue, conversation.Id, holder, followUp.Id, Text: followUp.Note, DueAt: due)],
                Committed = () => LogReminded(logger, followUp.Id, conversation.Id, holder.Value),
            };
        }

        if (answered)
        {
            return new(new FollowUpOutcome(FollowUpStatus.Sent, "kept"));
        }

        conversation.NeedsSupervisor = true;
        // Whoever opens the conversation (the supervisor it is flagged for) reads why, in the thread.
        var promiser = followUp.AgentId is { } agentId
            ? await db.Agents.AsNoTracking().Where(a => a.Id == agentId).Select(a => a.DisplayName).FirstOrDefaultAsync(cancellationToken)
            : null;
        var now = time.GetUtcNow();
        db.Messages.Add(new Message
        {
            Id = Ids.NewVersion7(now),
            ConversationId = conversation.Id,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Note,
            Text = $"承诺未兑现 Promise not kept: {promiser ?? "an agent"} promised an answer by {due.ToString("HH:mm", CultureInfo.InvariantCulture)} ({followUp.Note}); "
                + "no agent wrote to the customer since. Supervisors were alerted.",
            Status = MessageStatus.Received,
            CreatedAt = now,
        });
        return new(FollowUpOutcome.Skipped($"unkept: no answer by {due.ToString("HH:mm", CultureInfo.InvariantCulture)}"))
        {
            Events = [new GatewayEvent(GatewayEventTypes.PromiseUnkept, conversation.Id, followUp.AgentId, followUp.Id, Text: followUp.Note, DueAt: due)],
            Committed = () => LogUnkept(logger, followUp.Id, conversation.Id),
        };
    }

    /// <summary>A reminder's promise (its step 2: its time may have been moved, or it may have been cancelled).</summary>
    internal static async Task<FollowUp?> PromiseOfAsync(FollowUp reminder, GatewayDbContext db, CancellationToken cancellationToken) =>
        await db.FollowUps.AsNoTracking()
            .Where(f => f.Kind == FollowUpKinds.Callback && f.Step == 2 && f.ConversationId == reminder.ConversationId && f.CreatedAt == reminder.CreatedAt && f.AgentId == reminder.AgentId)
            .FirstOrDefaultAsync(cancellationToken);

    [LoggerMessage(EventId = 7300, Level = LogLevel.Information, Message = "Callback {FollowUpId}: agent {AgentId} reminded of the promise in conversation {ConversationId}")]
    private static partial void LogReminded(ILogger logger, Guid followUpId, Guid conversationId, Guid agentId);

    [LoggerMessage(EventId = 7301, Level = LogLevel.Warning, Message = "Callback {FollowUpId}: promise in conversation {ConversationId} not kept; flagged for a supervisor")]
    private static partial void LogUnkept(ILogger logger, Guid followUpId, Guid conversationId);
}

using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

/// <summary>Notes any time, and snoozing (挂起): what an agent does to a conversation besides replying.</summary>
internal sealed partial class ConversationService
{
    public const int MaxNoteLength = 4000;

    /// <summary>How far ahead a snooze may end by itself.</summary>
    public static readonly TimeSpan MaxSnooze = TimeSpan.FromDays(30);

    /// <summary>
    /// Adds an internal note (agents only; never delivered, never in the customer's history) to the conversation, open or
    /// closed, by its agent (the one who has or had it) or a supervisor; pushed live to its agent.
    /// </summary>
    public async Task<(MessageDto? Note, ConversationActionError Error, string? Reason)> AddNoteAsync(
        Guid conversationId, Agent agent, string text, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == conversationId, cancellationToken);
        if (conversation is null || !MayAct(conversation, agent, alsoClosedBy: true))
        {
            return (null, ConversationActionError.NotFound, "no such conversation among yours");
        }

        var now = time.GetUtcNow();
        var note = new Message
        {
            Id = Guid.CreateVersion7(now),
            ConversationId = conversation.Id,
            InstanceId = conversation.LastInstanceId,
            ExternalId = conversation.LastExternalId,
            Direction = MessageDirection.Note,
            Text = text,
            Status = MessageStatus.Received,
            AgentId = agent.Id,
            AgentName = agent.DisplayName,
            CreatedAt = now,
        };
        db.Messages.Add(note);
        await db.SaveChangesAsync(CancellationToken.None);
        var dto = note.ToDto(channels.ChannelTypeOf);
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, conversation.AssignedAgentId ?? agent.Id, note.Id, dto));
        if (conversation.AssignedAgentId is { } holder && holder != agent.Id)
        {
            // A supervisor's note: their own desk shows it too.
            await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, agent.Id, note.Id, dto));
        }

        return (dto, ConversationActionError.None, null);
    }

    /// <summary>
    /// Snoozes the open conversation until <paramref name="until"/> (null: until the customer writes). It stays assigned
    /// (the agent's load is unchanged) but leaves the active list; a timed snooze ends by a follow-up of kind
    /// <see cref="FollowUpKinds.SnoozeWake"/> at that time, which the scheduler fires once across instances and after restarts.
    /// </summary>
    public async Task<(ConversationActionError Error, string? Reason)> SnoozeAsync(
        Guid conversationId, Agent agent, DateTimeOffset? until, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (until is { } end && end <= now)
        {
            return (ConversationActionError.BadRequest, "until is in the past: give a later time, or null to snooze until the customer writes");
        }

        if (until > now + MaxSnooze)
        {
            return (ConversationActionError.BadRequest, "until is more than 30 days ahead");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (conversation, error, reason) = await FindToSnoozeAsync(db, conversationId, agent, cancellationToken);
        if (conversation is null)
        {
            return (error, reason);
        }

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var cancelled = await CancelWakesAsync(db, conversationId, agent, now, cancellationToken);
        conversation.SnoozedAt = now;
        conversation.SnoozedUntil = until?.ToUniversalTime();
        FollowUp? wake = null;
        if (until is { } at)
        {
            wake = new FollowUp
            {
                Id = Ids.NewVersion7(now),
                Kind = FollowUpKinds.SnoozeWake,
                ContactId = conversation.ContactId,
                ConversationId = conversation.Id,
                AgentId = agent.Id,
                DueAt = at.ToUniversalTime(),
                Status = FollowUpStatus.Planned,
                CreatedAt = now,
            };
            db.FollowUps.Add(wake);
        }

        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        await scheduler.SyncAsync([.. cancelled, .. wake is null ? Array.Empty<Guid>() : [wake.Id]], CancellationToken.None);
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Snoozed, conversationId, conversation.AssignedAgentId, DueAt: conversation.SnoozedUntil));
        return (ConversationActionError.None, null);
    }

    /// <summary>Ends the snooze now (the agent's choice); the conversation is back in the active list.</summary>
    public async Task<(ConversationActionError Error, string? Reason)> WakeAsync(Guid conversationId, Agent agent, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (conversation, error, reason) = await FindToSnoozeAsync(db, conversationId, agent, cancellationToken);
        if (conversation is null)
        {
            return (error, reason);
        }

        if (conversation.SnoozedAt is null)
        {
            return (ConversationActionError.Conflict, "the conversation is not snoozed");
        }

        var now = time.GetUtcNow();
        var cancelled = await CancelWakesAsync(db, conversationId, agent, now, cancellationToken);
        conversation.SnoozedAt = null;
        conversation.SnoozedUntil = null;
        await db.SaveChangesAsync(CancellationToken.None);
        await scheduler.SyncAsync(cancelled, CancellationToken.None);
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Woken, conversationId, conversation.AssignedAgentId));
        return (ConversationActionError.None, null);
    }

    private static async Task<(Conversation? Conversation, ConversationActionError Error, string? Reason)> FindToSnoozeAsync(
        GatewayDbContext db, Guid conversationId, Agent agent, CancellationToken cancellationToken)
    {
        var conversation = await db.Conversations.FirstOrDefaultAsync(c => c.Id == conversationId, cancellationToken);
        if (conversation is null || !MayAct(conversation, agent, alsoClosedBy: false))
        {
            return (null, ConversationActionError.NotFound, "no such conversation among yours");
        }

        if (conversation.Status != ConversationStatus.Assigned || conversation.AssignedAgentId is null)
        {
            return (null, ConversationActionError.NotOpen, conversation.Status == ConversationStatus.Closed
                ? "the conversation is closed"
                : "the conversation is not with an agent");
        }

        return (conversation, ConversationActionError.None, null);
    }

    /// <summary>Cancels the planned wake-ups of the conversation's snooze (in <paramref name="db"/>, saved by the caller).</summary>
    private static async Task<List<Guid>> CancelWakesAsync(GatewayDbContext db, Guid conversationId, Agent agent, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var planned = await db.FollowUps
            .Where(f => f.ConversationId == conversationId && f.Kind == FollowUpKinds.SnoozeWake && f.Status == FollowUpStatus.Planned)
            .ToListAsync(cancellationToken);
        foreach (var f in planned)
        {
            f.Status = FollowUpStatus.Cancelled;
            f.Reason = "the snooze was changed";
            f.DoneAt = now;
            f.UpdatedAt = now;
            f.ChangedByAgentId = agent.Id;
        }

        return planned.Select(f => f.Id).ToList();
    }

    /// <summary>The agent who has it (or closed it, for notes) or any supervisor.</summary>
    private static bool MayAct(Conversation conversation, Agent agent, bool alsoClosedBy) =>
        conversation.AssignedAgentId == agent.Id
        || (alsoClosedBy && conversation.ClosedByAgentId == agent.Id)
        || agent.Role == AgentRoles.Supervisor;
}

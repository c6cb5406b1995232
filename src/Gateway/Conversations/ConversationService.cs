using ChatGateway.Gateway.Delivery;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Routing;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Conversations;

internal enum ConversationActionError { None, NotFound, NotOpen, BadRequest, Unavailable, Conflict }

/// <summary>What an agent does to a conversation: reply (on a channel of the customer's), send a failed reply again, transfer and close.</summary>
internal sealed partial class ConversationService(
    IDbContextFactory<GatewayDbContext> dbFactory,
    DeliveryService delivery,
    ConversationRouter router,
    GatewayEventBus events,
    ChannelRegistry channels,
    TimeProvider time,
    RoutingRules rules,
    FollowUps.IFollowUpPlanner followUps,
    FollowUps.IFollowUpScheduler scheduler,
    Attachments.AttachmentService attachments,
    Webhooks.WebhookOutbox webhooks)
{
    public const int MaxReplyLength = 4000;

    /// <summary>Files one reply carries at most.</summary>
    public const int MaxReplyAttachments = 10;

    /// <summary>
    /// Stores the reply as pending and wakes delivery; the agent sees its status change live. It goes out on
    /// <paramref name="via"/> (one of the contact's <see cref="ReplyChannels"/>) when given, else where the
    /// customer wrote last in this conversation.
    /// </summary>
    public async Task<(MessageDto? Message, ConversationActionError Error, string? Reason)> ReplyAsync(
        Guid conversationId, Agent agent, string text, Guid? via, CancellationToken cancellationToken, IReadOnlyList<string>? attachmentIds = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.FirstOrDefaultAsync(c => c.Id == conversationId && c.AssignedAgentId == agent.Id, cancellationToken);
        if (conversation is null)
        {
            return (null, ConversationActionError.NotFound, "no such conversation among yours");
        }

        if (conversation.Status != ConversationStatus.Assigned)
        {
            return (null, ConversationActionError.NotOpen, "the conversation is closed");
        }

        var (instanceId, externalId) = (conversation.LastInstanceId, conversation.LastExternalId);
        if (via is { } identityId)
        {
            var chosen = (await ReplyChannels.ListAsync(db, channels, conversation, cancellationToken, time.GetUtcNow())).FirstOrDefault(c => c.Identity.Id == identityId);
            if (chosen.Identity is null)
            {
                return (null, ConversationActionError.BadRequest, "via is not one of this customer's reply channels (see replyChannels of the conversation)");
            }

            if (ReplyChannels.WindowRefuses(chosen.Channel) is { } closed)
            {
                return (null, ConversationActionError.BadRequest, closed);
            }

            (instanceId, externalId) = (chosen.Identity.InstanceId, chosen.Identity.ExternalId);
        }
        else if (channels.TryGetRunning(instanceId, out var last) && last.Plugin!.ReplyWindow is not null)
        {
            // Where the customer wrote last has a window (WhatsApp's 24 hours): the answer goes only while it is open.
            var current = (await ReplyChannels.ListAsync(db, channels, conversation, cancellationToken, time.GetUtcNow()))
                .FirstOrDefault(c => c.Identity.InstanceId == instanceId && c.Identity.ExternalId == externalId);
            if (current.Identity is not null && ReplyChannels.WindowRefuses(current.Channel) is { } closed)
            {
                return (null, ConversationActionError.BadRequest, closed);
            }
        }

        var (files, filesError) = await FilesForAsync(db, agent, instanceId, attachmentIds ?? [], cancellationToken);
        if (filesError is not null)
        {
            return (null, ConversationActionError.BadRequest, filesError);
        }

        var now = time.GetUtcNow();
        var message = NewReply(conversation.Id, instanceId, externalId, text, agent, now);
        db.Messages.Add(message);
        foreach (var file in files)
        {
            file.MessageId = message.Id;
            file.ConversationId = conversation.Id;
        }

        conversation.LastMessageAt = now;
        webhooks.MessageCreated(db, conversation, message);
        await db.SaveChangesAsync(CancellationToken.None);
        delivery.Signal();
        var dto = message.ToDto(channels.ChannelTypeOf, null, files.Select(Attachments.AttachmentService.ToContract).ToList());
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, agent.Id, message.Id, dto));
        return (dto, ConversationActionError.None, null);
    }

    /// <summary>
    /// The agent's own uploads a reply names (tracked, to be put on it), if the channel it goes out on carries files of
    /// their size and type; otherwise the reason for the agent.
    /// </summary>
    private async Task<(List<Attachment> Files, string? Error)> FilesForAsync(
        GatewayDbContext db, Agent agent, string instanceId, IReadOnlyList<string> ids, CancellationToken cancellationToken)
    {
        if (ids.Count == 0)
        {
            return ([], null);
        }

        if (ids.Count > MaxReplyAttachments)
        {
            return ([], $"a reply carries at most {MaxReplyAttachments} files; this one has {ids.Count}");
        }

        var parsed = new List<Guid>();
        foreach (var id in ids)
        {
            if (!Attachments.AttachmentService.TryParseId(id, out var guid) || parsed.Contains(guid))
            {
                return ([], $"attachment '{id}' is not an id of an uploaded file (or is given twice)");
            }

            parsed.Add(guid);
        }

        var rows = await db.Attachments.Where(a => parsed.Contains(a.Id)).ToListAsync(cancellationToken);
        if (rows.Count != parsed.Count || rows.Any(a => a.InstanceId != Attachments.AttachmentService.DeskInstance || a.UploadedByAgentId != agent.Id || a.MessageId is not null))
        {
            return ([], "an attachment is unknown, not uploaded by you, or already sent (upload it with POST /api/conversations/{id}/attachments)");
        }

        return ChannelRefuses(instanceId, rows) is { } refused ? ([], refused) : (parsed.Select(id => rows.First(r => r.Id == id)).ToList(), null);
    }

    /// <summary>Why the channel instance cannot carry these files (none, too large, a type it does not take), or null when it can.</summary>
    private string? ChannelRefuses(string instanceId, IReadOnlyList<Attachment> files)
    {
        if (!channels.TryGetRunning(instanceId, out var channel) || !channel.Plugin!.Capabilities.HasFlag(Abstractions.ChannelCapabilities.Attachments))
        {
            var receivesOnly = channel?.Plugin?.Capabilities.HasFlag(Abstractions.ChannelCapabilities.ReceiveAttachments) == true;
            return $"the reply goes out on {channels.ChannelTypeOf(instanceId) ?? instanceId} ({instanceId}), which "
                + (receivesOnly ? "takes files from customers but sends none" : "carries no files")
                + "; send them on another of the customer's channels (via)";
        }

        var limits = attachments.LimitsFor(channel.Plugin, channel.Instance!.Settings);
        foreach (var row in files)
        {
            if (row.Size > limits.MaxBytes)
            {
                return $"'{row.FileName}' is {Attachments.AttachmentService.Describe(row.Size)}; {instanceId} carries files up to {Attachments.AttachmentService.Describe(limits.MaxBytes)}";
            }

            if (!limits.Allowed.Contains(row.ContentType))
            {
                return $"'{row.FileName}' is {row.ContentType}, which {instanceId} does not carry";
            }
        }

        return null;
    }

    /// <summary>Sends a failed reply again on the same channel, with a fresh round of delivery attempts.</summary>
    public async Task<(MessageDto? Message, ConversationActionError Error, string? Reason)> RetryAsync(Guid messageId, Agent agent, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (message, conversation, error, reason) = await FindFailedReplyAsync(db, messageId, agent, cancellationToken);
        if (error != ConversationActionError.None)
        {
            return (null, error, reason);
        }

        var now = time.GetUtcNow();
        // Only a message still failed: two clicks (or two desks) send it once.
        var rows = await db.Messages
            .Where(m => m.Id == messageId && m.Status == MessageStatus.Failed)
            .ExecuteUpdateAsync(s => s
                .SetProperty(m => m.Status, MessageStatus.Pending)
                .SetProperty(m => m.Error, (string?)null)
                .SetProperty(m => m.Attempts, 0)
                .SetProperty(m => m.NextAttemptAt, now)
                .SetProperty(m => m.UpdatedAt, now), CancellationToken.None);
        if (rows == 0)
        {
            return (null, ConversationActionError.Conflict, "the reply is no longer failed");
        }

        delivery.Signal();
        message!.Status = MessageStatus.Pending;
        message.Error = null;
        message.Attempts = 0;
        message.UpdatedAt = now;
        var dto = message.ToDto(channels.ChannelTypeOf);
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageStatus, conversation!.Id, agent.Id, message.Id, dto));
        return (dto, ConversationActionError.None, null);
    }

    /// <summary>
    /// Sends a failed reply's text again as a new reply on another of the contact's channels; the failed one
    /// is marked <see cref="MessageStatus.Resent"/> (it leaves the failed list and cannot be retried too).
    /// </summary>
    public async Task<(MessageDto? Message, ConversationActionError Error, string? Reason)> ResendAsync(
        Guid messageId, Agent agent, Guid? via, CancellationToken cancellationToken)
    {
        if (via is null)
        {
            return (null, ConversationActionError.BadRequest, "via is required: one of the conversation's replyChannels");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var (failed, conversation, error, reason) = await FindFailedReplyAsync(db, messageId, agent, cancellationToken);
        if (error != ConversationActionError.None)
        {
            return (null, error, reason);
        }

        var chosen = (await ReplyChannels.ListAsync(db, channels, conversation!, cancellationToken, time.GetUtcNow())).FirstOrDefault(c => c.Identity.Id == via);
        if (chosen.Identity is null)
        {
            return (null, ConversationActionError.BadRequest, "via is not one of this customer's reply channels (see replyChannels of the conversation)");
        }

        if (ReplyChannels.WindowRefuses(chosen.Channel) is { } closed)
        {
            return (null, ConversationActionError.BadRequest, closed);
        }

        if (chosen.Identity.InstanceId == failed!.InstanceId && chosen.Identity.ExternalId == failed.ExternalId)
        {
            return (null, ConversationActionError.BadRequest, "that is the channel the reply failed on: retry it instead");
        }

        // Its files go with it, as copies of their own (the failed reply keeps its files), if the channel carries them.
        var originals = await db.Attachments.AsNoTracking().Where(a => a.MessageId == messageId).OrderBy(a => a.CreatedAt).ToListAsync(cancellationToken);
        if (originals.Count > 0 && ChannelRefuses(chosen.Identity.InstanceId, originals) is { } refused)
        {
            return (null, ConversationActionError.BadRequest, refused);
        }

        var copies = new List<Attachment>();
        foreach (var original in originals)
        {
            copies.Add(await attachments.CopyAsync(original, agent.Id, cancellationToken));
        }

        var now = time.GetUtcNow();
        var message = NewReply(conversation!.Id, chosen.Identity.InstanceId, chosen.Identity.ExternalId, failed.Text, agent, now);
        foreach (var copy in copies)
        {
            db.Attachments.Attach(copy);
            copy.MessageId = message.Id;
            copy.ConversationId = conversation.Id;
        }

        await using (var transaction = await db.Database.BeginTransactionAsync(cancellationToken))
        {
            var rows = await db.Messages
                .Where(m => m.Id == messageId && m.Status == MessageStatus.Failed)
                .ExecuteUpdateAsync(s => s.SetProperty(m => m.Status, MessageStatus.Resent).SetProperty(m => m.UpdatedAt, now), CancellationToken.None);
            if (rows == 0)
            {
                return (null, ConversationActionError.Conflict, "the reply is no longer failed");
            }

            db.Messages.Add(message);
            await db.Conversations.Where(c => c.Id == conversation.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(c => c.LastMessageAt, now), CancellationToken.None);
            await db.SaveChangesAsync(CancellationToken.None);
            await transaction.CommitAsync(CancellationToken.None);
        }

        delivery.Signal();
        failed.Status = MessageStatus.Resent;
        failed.UpdatedAt = now;
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageStatus, conversation.Id, agent.Id, failed.Id, failed.ToDto(channels.ChannelTypeOf)));
        var dto = message.ToDto(channels.ChannelTypeOf, null, copies.Select(Attachments.AttachmentService.ToContract).ToList());
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.MessageAdded, conversation.Id, agent.Id, message.Id, dto));
        return (dto, ConversationActionError.None, null);
    }

    /// <summary>A failed reply in an open conversation of the agent's; ids of others' messages answer as unknown.</summary>
    private static async Task<(Message? Message, Conversation? Conversation, ConversationActionError Error, string? Reason)> FindFailedReplyAsync(
        GatewayDbContext db, Guid messageId, Agent agent, CancellationToken cancellationToken)
    {
        var message = await db.Messages.AsNoTracking().FirstOrDefaultAsync(m => m.Id == messageId && m.Direction == MessageDirection.Out, cancellationToken);
        var conversation = message is null
            ? null
            : await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == message.ConversationId && c.AssignedAgentId == agent.Id, cancellationToken);
        if (conversation is null)
        {
            return (null, null, ConversationActionError.NotFound, "no such reply in your conversations");
        }

        if (conversation.Status != ConversationStatus.Assigned)
        {
            return (null, null, ConversationActionError.NotOpen, "the conversation is closed");
        }

        if (message!.Status != MessageStatus.Failed)
        {
            return (null, null, ConversationActionError.Conflict, $"only a failed reply can be sent again; this one is {message.Status.ToApi()}");
        }

        return (message, conversation, ConversationActionError.None, null);
    }

    private static Message NewReply(Guid conversationId, string instanceId, string externalId, string text, Agent agent, DateTimeOffset now) => new()
    {
        Id = Ids.NewVersion7(now),
        ConversationId = conversationId,
        InstanceId = instanceId,
        ExternalId = externalId,
        Direction = MessageDirection.Out,
        Text = text,
        Status = MessageStatus.Pending,
        AgentId = agent.Id,
        AgentName = agent.DisplayName,
        NextAttemptAt = now,
        CreatedAt = now,
    };

    /// <summary>
    /// Hands the conversation to another agent (online or busy, with room) or back to a skill's queue, with
    /// a note the receiver sees on top of the full history. Any refusal leaves the conversation untouched.
    /// </summary>
    public async Task<(ConversationActionError Error, string? Reason)> TransferAsync(Guid conversationId, Agent from, string? toAgent, string? toSkill, string? note, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(toAgent) == string.IsNullOrWhiteSpace(toSkill))
        {
            return (ConversationActionError.BadRequest, "give exactly one of toAgent (a user name) or toSkill");
        }

        if (note?.Length > 1000)
        {
            return (ConversationActionError.BadRequest, "note is longer than 1000 characters");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var conversation = await db.Conversations.AsNoTracking().FirstOrDefaultAsync(c => c.Id == conversationId && c.AssignedAgentId == from.Id, cancellationToken);
        if (conversation is null)
        {
            return (ConversationActionError.NotFound, "no such conversation among yours");
        }

        if (conversation.Status != ConversationStatus.Assigned)
        {
            return (ConversationActionError.NotOpen, "the conversation is closed");
        }

        TransferError error;
        if (!string.IsNullOrWhiteSpace(toAgent))
        {
            var target = await db.Agents.AsNoTracking().FirstOrDefaultAsync(a => a.UserName == toAgent.Trim() && a.Enabled, cancellationToken);
            if (target is null)
            {
                return (ConversationActionError.BadRequest, $"there is no agent '{toAgent.Trim()}'");
            }

            if (target.Id == from.Id)
            {
                return (ConversationActionError.BadRequest, "the conversation is already yours");
            }

            error = await router.TransferToAgentAsync(conversationId, from, target, note);
            if (error == TransferError.TargetUnavailable)
            {
                return (ConversationActionError.Unavailable, $"{target.DisplayName} is not online or has no room for another conversation");
            }
        }
        else
        {
            var skill = toSkill!.Trim().ToLowerInvariant();
            var queues = rules.Current.Steps;
            if (!queues.ContainsKey(skill))
            {
                return (ConversationActionError.BadRequest, $"there is no skill queue '{toSkill.Trim()}'; queues are {string.Join(", ", queues.Keys)}");
            }

            error = await router.TransferToSkillAsync(conversationId, from, skill, conversation.Priority, conversation.CreatedAt, note);
        }

        return error == TransferError.NotAssigned ? (ConversationActionError.NotFound, "no such conversation among yours") : (ConversationActionError.None, null);
    }

    /// <summary>Sets or clears the contact's exclusive agent (专属客服), who gets their conversations first.</summary>
    public async Task<(ConversationActionError Error, string? Reason)> SetExclusiveAgentAsync(Guid contactId, string? agentUserName, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var contact = await db.Contacts.FirstOrDefaultAsync(c => c.Id == contactId, cancellationToken);
        if (contact is null)
        {
            return (ConversationActionError.NotFound, "no such contact");
        }

        Guid? agentId = null;
        if (!string.IsNullOrWhiteSpace(agentUserName))
        {
            agentId = await db.Agents.Where(a => a.UserName == agentUserName.Trim() && a.Enabled).Select(a => (Guid?)a.Id).FirstOrDefaultAsync(cancellationToken);
            if (agentId is null)
            {
                return (ConversationActionError.BadRequest, $"there is no agent '{agentUserName.Trim()}'");
            }
        }

        contact.ExclusiveAgentId = agentId;
        await db.SaveChangesAsync(cancellationToken);
        return (ConversationActionError.None, null);
    }

    /// <summary>
    /// Closes the conversation and frees the agent's capacity for the next waiting one. Its satisfaction survey is planned
    /// in the same transaction (the rating counts for this agent), unless it closed as spam. <paramref name="reason"/>: one of
    /// <c>Conversations:CloseReasons</c> (checked by the caller), or null.
    /// </summary>
    public async Task<ConversationActionError> CloseAsync(Guid conversationId, Agent agent, CancellationToken cancellationToken, string? reason = null)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        var rows = await db.Conversations
            .Where(c => c.Id == conversationId && c.AssignedAgentId == agent.Id && c.Status == ConversationStatus.Assigned)
            .ExecuteUpdateAsync(s => s
                .SetProperty(c => c.Status, ConversationStatus.Closed)
                .SetProperty(c => c.ClosedAt, now)
                .SetProperty(c => c.ClosedByAgentId, agent.Id)
                .SetProperty(c => c.CloseReason, reason)
                .SetProperty(c => c.SnoozedAt, (DateTimeOffset?)null)
                .SetProperty(c => c.SnoozedUntil, (DateTimeOffset?)null), CancellationToken.None);
        if (rows == 0)
        {
            var exists = await db.Conversations.AnyAsync(c => c.Id == conversationId && c.AssignedAgentId == agent.Id, cancellationToken);
            return exists ? ConversationActionError.NotOpen : ConversationActionError.NotFound;
        }

        var closed = await db.Conversations.AsNoTracking().FirstAsync(c => c.Id == conversationId, CancellationToken.None);
        // Nobody asks a spammer how the service was.
        var planned = reason == ConversationActionsOptions.Spam ? [] : await followUps.ConversationClosedAsync(db, closed, CancellationToken.None);
        await webhooks.ClosedAsync(db, conversationId);
        await db.SaveChangesAsync(CancellationToken.None);
        await transaction.CommitAsync(CancellationToken.None);
        await scheduler.SyncAsync(planned, CancellationToken.None);
        await events.PublishAsync(new GatewayEvent(GatewayEventTypes.Closed, conversationId, agent.Id));
        await router.ReleaseAsync(conversationId);
        return ConversationActionError.None;
    }
}

using ChatGateway.Abstractions;
using ChatGateway.Gateway.Attachments;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Ingest;

/// <summary>What an inbound message carries beyond its text, checked and made ready for the writer (see <see cref="RichInbound"/>).</summary>
/// <param name="Subject">The subject, trimmed to 300 characters.</param>
/// <param name="Html">The sanitised HTML body (never the one that arrived).</param>
/// <param name="References">The thread ids the message named, space separated.</param>
/// <param name="Attachments">The files, as their rows say (type read from the bytes), with the content ids the channel gave.</param>
/// <param name="ThreadConversations">Conversations the message's thread names, most likely first; the writer takes the first still open of the sender's own.</param>
/// <param name="Threaded">The message is in a thread: later replies find it by its provider id.</param>
/// <param name="Notice">A line for the agent added to the text (why the HTML body was not kept).</param>
internal sealed record InboundExtras(
    string? Subject,
    string? Html,
    string? References,
    bool AutoSubmitted,
    IReadOnlyList<MessageAttachment> Attachments,
    IReadOnlyList<Guid> ThreadConversations,
    bool SeparateConversations,
    bool Threaded,
    string? Notice = null)
{
    /// <summary>Nothing beyond the text: the start of the extras of a chat message that has only a speaker, a reply context or unsupported content.</summary>
    public static InboundExtras None { get; } = new(null, null, null, false, [], [], false, false);

    /// <summary>In a group chat, the member who spoke (the message's sender is then the group).</summary>
    public string? SpeakerId { get; init; }
    public string? SpeakerName { get; init; }

    /// <summary>Content the channel could not map, kind and line.</summary>
    public string? UnsupportedKind { get; init; }
    public string? UnsupportedSummary { get; init; }
    public bool UnsupportedFailed { get; init; }

    /// <summary>Where the customer came from, checked (see <see cref="MessageOrigin"/>).</summary>
    public string? OriginKind { get; init; }
    public string? OriginReference { get; init; }
    public string? OriginUrl { get; init; }
    public string? OriginTitle { get; init; }

    /// <summary>The reply context the message gave, kept for the next answer.</summary>
    public ReplyContext? ReplyContext { get; init; }

    /// <summary>Whether the message needs a row of <see cref="MessageContent"/>.</summary>
    public bool HasContent => Subject is not null || Html is not null || References is not null || AutoSubmitted || Threaded
        || SpeakerId is not null || UnsupportedKind is not null || OriginKind is not null;
}

/// <summary>
/// Checks and prepares what an inbound message carries beyond its text, before it is queued for the writer (so the
/// writer's thread spends nothing on it): its files must be this instance's, saved and not yet taken by another
/// message; its HTML is sanitised, with its inline pictures pointed at the gateway's own links; its thread's ids and
/// reply token are turned into the conversations they name. A message without any of it costs nothing here.
/// </summary>
internal sealed class RichInbound(IDbContextFactory<GatewayDbContext> dbFactory, HtmlBodies html, ReplyTokens tokens)
{
    public const int MaxSubjectLength = 300;
    public const int MaxAttachments = 20;
    public const int MaxThreadIds = 50;

    public static bool IsRich(InboundMessage m) =>
        m.Subject is not null || m.Html is not null || m.Attachments is { Count: > 0 } || m.Thread is not null || m.AutoSubmitted;

    public async Task<InboundExtras?> PrepareAsync(string instanceId, InboundMessage message, CancellationToken cancellationToken)
    {
        if (!IsRich(message))
        {
            return null;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var attachments = await AttachmentsAsync(db, instanceId, message.Attachments ?? [], cancellationToken);

        string? safeHtml = null;
        string? notice = null;
        if (!string.IsNullOrWhiteSpace(message.Html))
        {
            var byContentId = attachments.Where(a => a.ContentId is not null).GroupBy(a => a.ContentId!, StringComparer.OrdinalIgnoreCase)
                .ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase);
            var (sanitised, refused) = html.Sanitize(message.Html, cid => byContentId.TryGetValue(cid, out var a) ? $"/api/attachments/{a.Id}" : null);
            safeHtml = sanitised;
            notice = refused is null ? null : $"[{refused}]";
        }

        var subject = VisibleText.OneLine(message.Subject, MaxSubjectLength);
        var thread = message.Thread;
        var references = thread is null ? null : ThreadIds(thread);
        var conversations = thread is null ? [] : await ThreadConversationsAsync(db, instanceId, thread, cancellationToken);
        return new InboundExtras(
            subject,
            safeHtml,
            references is { Count: > 0 } ? Join(references) : null,
            message.AutoSubmitted,
            attachments,
            conversations,
            thread?.SeparateConversations ?? false,
            Threaded: thread is not null,
            notice);
    }

    private static async Task<IReadOnlyList<MessageAttachment>> AttachmentsAsync(
        GatewayDbContext db, string instanceId, IReadOnlyList<MessageAttachment> given, CancellationToken cancellationToken)
    {
        if (given.Count == 0)
        {
            return [];
        }

        if (given.Count > MaxAttachments)
        {
            throw new InboundRejectedException($"a message carries at most {MaxAttachments} files; this one has {given.Count}");
        }

        var ids = new List<Guid>();
        foreach (var attachment in given)
        {
            if (attachment is null || !AttachmentService.TryParseId(attachment.Id, out var id))
            {
                throw new InboundRejectedException("an attachment has no id the gateway gave (save files through IAttachmentStore first)");
            }

            if (ids.Contains(id))
            {
                throw new InboundRejectedException($"attachment {attachment.Id} is given twice");
            }

            ids.Add(id);
        }

        var rows = await db.Attachments.AsNoTracking().Where(a => ids.Contains(a.Id)).ToDictionaryAsync(a => a.Id, cancellationToken);
        var result = new List<MessageAttachment>(given.Count);
        for (var i = 0; i < ids.Count; i++)
        {
            // Only this instance's own saved files, not yet on a message: a channel cannot pass on another's or an agent's file.
            if (!rows.TryGetValue(ids[i], out var row) || row.InstanceId != instanceId || row.MessageId is not null)
            {
                throw new InboundRejectedException($"attachment {given[i].Id} is unknown (saved by another channel, or already on a message)");
            }

            var contentId = given[i].ContentId?.Trim().Trim('<', '>');
            result.Add(AttachmentService.ToContract(row) with { ContentId = string.IsNullOrEmpty(contentId) ? row.ContentId : contentId[..Math.Min(255, contentId.Length)] });
        }

        return result;
    }

    private async Task<IReadOnlyList<Guid>> ThreadConversationsAsync(GatewayDbContext db, string instanceId, MessageThread thread, CancellationToken cancellationToken)
    {
        var found = new List<Guid>();
        if (tokens.Read(thread.ReplyToken) is { } named)
        {
            found.Add(named);
        }

        // The message answered first, then the thread's ids from the newest back.
        var ids = ThreadIds(thread);
        if (ids.Count == 0)
        {
            return found;
        }

        var ordered = new List<string>();
        if (!string.IsNullOrWhiteSpace(thread.InReplyTo) && ids.Contains(thread.InReplyTo.Trim()))
        {
            ordered.Add(thread.InReplyTo.Trim());
        }

        ordered.AddRange(Enumerable.Reverse(ids).Where(id => !ordered.Contains(id)));
        var inKeys = ordered.Select(id => Message.KeyOf(instanceId, MessageDirection.In, id)).ToList();
        var outKeys = ordered.Select(id => Message.KeyOf(instanceId, MessageDirection.Out, id)).ToList();
        var theirs = await db.MessageContents.AsNoTracking()
            .Where(c => c.ThreadKey != null && inKeys.Contains(c.ThreadKey.Value) && c.InstanceId == instanceId)
            .Select(c => new { Key = c.ThreadKey!.Value, c.ConversationId })
            .ToListAsync(cancellationToken);
        var ours = await db.Messages.AsNoTracking()
            .Where(m => m.ProviderKey != null && outKeys.Contains(m.ProviderKey.Value) && m.Direction == MessageDirection.Out && m.InstanceId == instanceId)
            .Select(m => new { Key = m.ProviderKey!.Value, m.ConversationId, m.ProviderMessageId })
            .ToListAsync(cancellationToken);
        for (var i = 0; i < ordered.Count; i++)
        {
            foreach (var match in theirs.Where(t => t.Key == inKeys[i]))
            {
                found.Add(match.ConversationId);
            }

            foreach (var match in ours.Where(o => o.Key == outKeys[i] && o.ProviderMessageId == ordered[i]))
            {
                found.Add(match.ConversationId);
            }
        }

        return found.Distinct().ToList();
    }

    /// <summary>The thread's ids (References, then In-Reply-To if it is not among them), oldest first, at most <see cref="MaxThreadIds"/> (the newest).</summary>
    private static List<string> ThreadIds(MessageThread thread)
    {
        var ids = (thread.References ?? []).Where(id => !string.IsNullOrWhiteSpace(id) && id.Length <= 200).Select(id => id.Trim()).Distinct().ToList();
        if (!string.IsNullOrWhiteSpace(thread.InReplyTo) && thread.InReplyTo.Length <= 200 && !ids.Contains(thread.InReplyTo.Trim()))
        {
            ids.Add(thread.InReplyTo.Trim());
        }

        return ids.Count > MaxThreadIds ? ids[^MaxThreadIds..] : ids;
    }

    private static string? Join(List<string> ids)
    {
        // Within the column's 4,000 characters: the newest ids count most.
        var kept = new List<string>();
        var length = 0;
        foreach (var id in Enumerable.Reverse(ids))
        {
            if (length + id.Length + 1 > 4000 || id.Contains(' ', StringComparison.Ordinal))
            {
                continue;
            }

            kept.Insert(0, id);
            length += id.Length + 1;
        }

        return kept.Count == 0 ? null : string.Join(' ', kept);
    }
}

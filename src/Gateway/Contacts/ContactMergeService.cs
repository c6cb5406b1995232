using System.Text.Json;
using ChatGateway.Gateway.Ingest;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Contacts;

/// <summary>A contact as a supervisor sees it when looking for the one to merge with.</summary>
public sealed record ContactSummaryDto(
    Guid Id, string? DisplayName, string? Phone, string? Email, string? DeclaredName, string? DeclaredPhone, string? DeclaredEmail,
    bool IsVip, int Conversations, IReadOnlyList<string> Channels, Guid? MergedIntoId);

/// <summary>A merge of one contact into another, and whether it was undone.</summary>
public sealed record ContactMergeDto(Guid Id, Guid FromContactId, Guid IntoContactId, Guid AgentId, DateTimeOffset MergedAt, int Identities, int Conversations, DateTimeOffset? UndoneAt);

public sealed record MergeRequest(Guid? Into);

/// <summary>Why a merge or an undo was refused: an HTTP status and a reason.</summary>
internal sealed class ContactMergeException(int status, string reason) : Exception(reason)
{
    public int Status { get; } = status;
}

/// <summary>What a merge moved, kept with it so that undo moves exactly that back.</summary>
internal sealed record MovedRecord(
    List<Guid> Identities, List<Guid> Conversations, Dictionary<string, string> Filled, bool MadeVip, Guid? ExclusiveAgentId);

/// <summary>
/// Merges contacts by hand, after an agent checked they are one person (what a customer typed never
/// merges anyone by itself), and undoes a wrong merge. One transaction each: the inbound writer sees the
/// commit (its cached contacts are dropped when another connection writes) and files the next message of
/// either contact under the contact that holds them now.
/// </summary>
internal sealed partial class ContactMergeService(
    IDbContextFactory<GatewayDbContext> dbFactory, Plugins.ChannelRegistry channels, TimeProvider time, ILogger<ContactMergeService> logger, Webhooks.WebhookOutbox webhooks)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>Contacts whose verified or typed phone, email or name matches <paramref name="query"/> (merged-away ones left out).</summary>
    public async Task<IReadOnlyList<ContactSummaryDto>> SearchAsync(string query, CancellationToken cancellationToken)
    {
        var q = query.Trim();
        var phone = ContactKeys.NormalizePhone(q);
        var email = ContactKeys.NormalizeEmail(q);
        var like = "%" + q.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var contacts = await db.Contacts.AsNoTracking()
            .Where(c => c.MergedIntoId == null)
            .Where(c => (phone != null && (c.Phone == phone || c.DeclaredPhone == phone))
                || (email != null && (c.Email == email || c.DeclaredEmail == email))
                || EF.Functions.Like(c.DisplayName!, like, "\\") || EF.Functions.Like(c.DeclaredName!, like, "\\")
                || EF.Functions.Like(c.Phone!, like, "\\") || EF.Functions.Like(c.DeclaredPhone!, like, "\\")
                || EF.Functions.Like(c.Email!, like, "\\") || EF.Functions.Like(c.DeclaredEmail!, like, "\\"))
            .OrderByDescending(c => c.CreatedAt)
            .Take(20)
            .ToListAsync(cancellationToken);
        return await SummariesAsync(db, contacts, cancellationToken);
    }

    /// <summary>One contact with the merges into it that can still be undone.</summary>
    public async Task<(ContactSummaryDto Contact, IReadOnlyList<ContactMergeDto> Merges)?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var contact = await db.Contacts.AsNoTracking().FirstOrDefaultAsync(c => c.Id == id, cancellationToken);
        if (contact is null)
        {
            return null;
        }

        var merges = await db.ContactMerges.AsNoTracking()
            .Where(m => m.IntoContactId == id && m.UndoneAt == null)
            .ToListAsync(cancellationToken);
        return ((await SummariesAsync(db, [contact], cancellationToken))[0], merges.OrderByDescending(m => m.MergedAt).Select(ToDto).ToList());
    }

    public async Task<ContactMergeDto> MergeAsync(Guid fromId, Guid intoId, Guid agentId, CancellationToken cancellationToken)
    {
        if (fromId == intoId)
        {
            throw new ContactMergeException(StatusCodes.Status400BadRequest, "a contact cannot be merged into itself");
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var from = await db.Contacts.FirstOrDefaultAsync(c => c.Id == fromId, cancellationToken)
            ?? throw new ContactMergeException(StatusCodes.Status404NotFound, "no such contact");
        var into = await db.Contacts.FirstOrDefaultAsync(c => c.Id == intoId, cancellationToken)
            ?? throw new ContactMergeException(StatusCodes.Status404NotFound, "no such contact to merge into");
        if (from.MergedIntoId is not null || into.MergedIntoId is not null)
        {
            throw new ContactMergeException(StatusCodes.Status409Conflict, "one of the contacts was merged into another already");
        }

        // The contact merged away leaves the one-contact-per-phone/email constraint first (its own statement), so the kept
        // contact may take its phone and email in the next.
        from.MergedIntoId = intoId;
        await db.SaveChangesAsync(cancellationToken);

        var identities = await db.ChannelIdentities.Where(i => i.ContactId == fromId).ToListAsync(cancellationToken);
        var conversations = await db.Conversations.Where(c => c.ContactId == fromId).ToListAsync(cancellationToken);
        foreach (var identity in identities)
        {
            identity.ContactId = intoId;
        }

        foreach (var conversation in conversations)
        {
            conversation.ContactId = intoId;
        }

        // Empty fields of the contact kept are filled from the one merged away; undo empties exactly those.
        var filled = new Dictionary<string, string>();
        into.Phone = Fill(into.Phone, from.Phone, "phone", filled);
        into.Email = Fill(into.Email, from.Email, "email", filled);
        into.DisplayName = Fill(into.DisplayName, from.DisplayName, "displayName", filled);
        into.DeclaredName = Fill(into.DeclaredName, from.DeclaredName, "declaredName", filled);
        into.DeclaredPhone = Fill(into.DeclaredPhone, from.DeclaredPhone, "declaredPhone", filled);
        into.DeclaredEmail = Fill(into.DeclaredEmail, from.DeclaredEmail, "declaredEmail", filled);
        var madeVip = from.IsVip && !into.IsVip;
        into.IsVip |= from.IsVip;
        var exclusive = into.ExclusiveAgentId is null ? from.ExclusiveAgentId : null;
        into.ExclusiveAgentId ??= from.ExclusiveAgentId;
        // Orders stay on their contact; the kept contact's stage (which routes their next conversation) now counts both.
        into.OrderStage = await Orders.MergedContacts.StageAsync(db, intoId, cancellationToken);

        var merge = new ContactMerge
        {
            Id = Ids.NewVersion7(time.GetUtcNow()),
            FromContactId = fromId,
            IntoContactId = intoId,
            AgentId = agentId,
            MergedAt = time.GetUtcNow(),
            Moved = JsonSerializer.Serialize(new MovedRecord([.. identities.Select(i => i.Id)], [.. conversations.Select(c => c.Id)], filled, madeVip, exclusive), Json),
        };
        db.ContactMerges.Add(merge);
        webhooks.ContactMerged(db, merge);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogMerged(logger, fromId, intoId, agentId, identities.Count, conversations.Count);
        return ToDto(merge);
    }

    public async Task<ContactMergeDto> UndoAsync(Guid mergeId, Guid agentId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        var merge = await db.ContactMerges.FirstOrDefaultAsync(m => m.Id == mergeId, cancellationToken)
            ?? throw new ContactMergeException(StatusCodes.Status404NotFound, "no such merge");
        if (merge.UndoneAt is not null)
        {
            throw new ContactMergeException(StatusCodes.Status409Conflict, "this merge was undone already");
        }

        var from = await db.Contacts.FirstAsync(c => c.Id == merge.FromContactId, cancellationToken);
        var into = await db.Contacts.FirstAsync(c => c.Id == merge.IntoContactId, cancellationToken);
        if (into.MergedIntoId is not null)
        {
            throw new ContactMergeException(StatusCodes.Status409Conflict, "the contact was merged again since; undo that merge first");
        }

        var moved = JsonSerializer.Deserialize<MovedRecord>(merge.Moved, Json)!;
        // Exactly what moved, and only where the merge put it.
        var identities = await db.ChannelIdentities.Where(i => moved.Identities.Contains(i.Id) && i.ContactId == into.Id).ToListAsync(cancellationToken);
        var conversations = await db.Conversations.Where(c => moved.Conversations.Contains(c.Id) && c.ContactId == into.Id).ToListAsync(cancellationToken);
        foreach (var identity in identities)
        {
            identity.ContactId = from.Id;
        }

        foreach (var conversation in conversations)
        {
            conversation.ContactId = from.Id;
        }

        into.Phone = Unfill(into.Phone, "phone", moved.Filled);
        into.Email = Unfill(into.Email, "email", moved.Filled);
        into.DisplayName = Unfill(into.DisplayName, "displayName", moved.Filled);
        into.DeclaredName = Unfill(into.DeclaredName, "declaredName", moved.Filled);
        into.DeclaredPhone = Unfill(into.DeclaredPhone, "declaredPhone", moved.Filled);
        into.DeclaredEmail = Unfill(into.DeclaredEmail, "declaredEmail", moved.Filled);
        if (moved.MadeVip)
        {
            into.IsVip = false;
        }

        if (moved.ExclusiveAgentId is { } exclusive && into.ExclusiveAgentId == exclusive)
        {
            into.ExclusiveAgentId = null;
        }

        // The kept contact gives back the phone and email first (its own statement), then the contact merged away
        // rejoins the one-contact-per-phone/email constraint with them.
        await db.SaveChangesAsync(cancellationToken);
        from.MergedIntoId = null;
        merge.UndoneAt = time.GetUtcNow();
        merge.UndoneByAgentId = agentId;
        await db.SaveChangesAsync(cancellationToken);
        into.OrderStage = await Orders.MergedContacts.StageAsync(db, into.Id, cancellationToken);
        from.OrderStage = await Orders.MergedContacts.StageAsync(db, from.Id, cancellationToken);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogUndone(logger, merge.Id, agentId, identities.Count, conversations.Count);
        return ToDto(merge);
    }

    private static string? Fill(string? current, string? other, string name, Dictionary<string, string> filled)
    {
        if (current is not null || other is null)
        {
            return current;
        }

        filled[name] = other;
        return other;
    }

    private static string? Unfill(string? current, string name, Dictionary<string, string> filled) =>
        filled.TryGetValue(name, out var value) && current == value ? null : current;

    private static ContactMergeDto ToDto(ContactMerge m)
    {
        var moved = JsonSerializer.Deserialize<MovedRecord>(m.Moved, Json);
        return new(m.Id, m.FromContactId, m.IntoContactId, m.AgentId, m.MergedAt, moved?.Identities.Count ?? 0, moved?.Conversations.Count ?? 0, m.UndoneAt);
    }

    private async Task<List<ContactSummaryDto>> SummariesAsync(GatewayDbContext db, List<Contact> contacts, CancellationToken cancellationToken)
    {
        var ids = contacts.Select(c => c.Id).ToList();
        var counts = await db.Conversations.AsNoTracking().Where(c => ids.Contains(c.ContactId))
            .GroupBy(c => c.ContactId).Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken);
        var instances = await db.ChannelIdentities.AsNoTracking().Where(i => ids.Contains(i.ContactId))
            .Select(i => new { i.ContactId, i.InstanceId }).ToListAsync(cancellationToken);
        return contacts.Select(c => new ContactSummaryDto(
            c.Id, c.DisplayName, c.Phone, c.Email, c.DeclaredName, c.DeclaredPhone, c.DeclaredEmail, c.IsVip, counts.GetValueOrDefault(c.Id),
            instances.Where(i => i.ContactId == c.Id).Select(i => channels.ChannelTypeOf(i.InstanceId) ?? i.InstanceId).Distinct().ToList(),
            c.MergedIntoId)).ToList();
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "Contact {FromContactId} merged into {IntoContactId} by agent {AgentId}: {Identities} identities, {Conversations} conversations moved")]
    private static partial void LogMerged(ILogger logger, Guid fromContactId, Guid intoContactId, Guid agentId, int identities, int conversations);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Information, Message = "Contact merge {MergeId} undone by agent {AgentId}: {Identities} identities, {Conversations} conversations moved back")]
    private static partial void LogUndone(ILogger logger, Guid mergeId, Guid agentId, int identities, int conversations);
}

using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Orders;

/// <summary>
/// Orders and follow-ups stay on the contact they were made for; a merge moves identities and conversations only. So
/// what a contact has is theirs plus that of every contact merged into them (merges chain: A into B, then B into C).
/// </summary>
internal static class MergedContacts
{
    private const int MaxHops = 16;

    /// <summary><paramref name="contactId"/> and the ids of every contact merged into it, directly or through another.</summary>
    public static async Task<List<Guid>> WithMergedAsync(GatewayDbContext db, Guid contactId, CancellationToken cancellationToken)
    {
        var all = new List<Guid> { contactId };
        var frontier = all;
        for (var hops = 0; frontier.Count > 0 && hops < MaxHops; hops++)
        {
            var current = frontier;
            frontier = await db.Contacts.AsNoTracking()
                .Where(c => c.MergedIntoId != null && current.Contains(c.MergedIntoId.Value))
                .Select(c => c.Id)
                .ToListAsync(cancellationToken);
            frontier = [.. frontier.Except(all)];
            all.AddRange(frontier);
        }

        return all;
    }

    /// <summary>The order stage of <paramref name="contactId"/> from its orders and those of every contact merged into it.</summary>
    public static async Task<OrderStage> StageAsync(GatewayDbContext db, Guid contactId, CancellationToken cancellationToken)
    {
        var contacts = await WithMergedAsync(db, contactId, cancellationToken);
        return OrderStates.StageOf(await db.Orders.AsNoTracking().Where(o => contacts.Contains(o.ContactId)).ToListAsync(cancellationToken));
    }

    /// <summary>
    /// The contact kept for <paramref name="contactId"/>: itself, or the one it was merged into, followed to the end (at
    /// most 16 merges), read without tracking. Throws <see cref="InvalidOperationException"/> when there is no such contact.
    /// </summary>
    public static async Task<Contact> FollowAsync(GatewayDbContext db, Guid contactId, CancellationToken cancellationToken)
    {
        var contact = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == contactId, cancellationToken);
        for (var hops = 0; contact.MergedIntoId is { } into && hops < MaxHops; hops++)
        {
            contact = await db.Contacts.AsNoTracking().FirstAsync(c => c.Id == into, cancellationToken);
        }

        return contact;
    }

    /// <summary>The id of the contact kept for <paramref name="contactId"/> (see <see cref="FollowAsync"/>); the id itself when there is no such contact.</summary>
    public static async Task<Guid> KeptAsync(GatewayDbContext db, Guid contactId, CancellationToken cancellationToken) =>
        await db.Contacts.AsNoTracking().AnyAsync(c => c.Id == contactId, cancellationToken)
            ? (await FollowAsync(db, contactId, cancellationToken)).Id
            : contactId;
}

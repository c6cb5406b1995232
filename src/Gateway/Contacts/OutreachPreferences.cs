using ChatGateway.Abstractions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Contacts;

/// <summary>
/// A channel instance's <see cref="IOutreachPreferences"/>: what a customer accepts from the shop, kept on their
/// identity of this instance (SMS STOP / START: <see cref="ChannelIdentity.OptedOutAt"/>) or on their contact (the
/// widget's setting, 退订 / 订阅: <see cref="Contact.MarketingOptOutAt"/>, <see cref="Contact.OptOutAllAt"/>). A setting
/// (<see cref="SetAsync"/>) sets the level; a keyword that declines (<see cref="DeclineAsync"/>) only narrows it. The follow-up
/// firer reads those columns when a follow-up is due. A choice keeps the time it was first made; choosing again
/// changes nothing.
/// </summary>
internal sealed partial class OutreachPreferences(
    IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, ILogger<OutreachPreferences> logger, string instanceId) : IOutreachPreferences
{
    public async Task<bool> SetAsync(string externalId, OutreachPreference preference, bool thisChannelOnly, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(externalId) || !Enum.IsDefined(preference))
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await IdentityAsync(db, externalId, cancellationToken) is not { Contact: { } contact } identity)
        {
            return false;
        }

        var now = time.GetUtcNow();
        if (thisChannelOnly && preference != OutreachPreference.NoMarketing)
        {
            // STOP stops this number only; START undoes exactly that, not a choice made elsewhere.
            identity.OptedOutAt = preference == OutreachPreference.None ? identity.OptedOutAt ?? now : null;
        }
        else
        {
            // The customer's level for every channel (no marketing is never per channel: there is no column for it).
            switch (preference)
            {
                case OutreachPreference.All:
                    contact.MarketingOptOutAt = null;
                    contact.OptOutAllAt = null;
                    break;
                case OutreachPreference.NoMarketing:
                    contact.MarketingOptOutAt ??= now;
                    contact.OptOutAllAt = null;
                    break;
                default:
                    contact.MarketingOptOutAt ??= now;
                    contact.OptOutAllAt ??= now;
                    break;
            }
        }

        await db.SaveChangesAsync(cancellationToken);
        LogSet(logger, instanceId, contact.Id, preference, thisChannelOnly);
        return true;
    }

    /// <summary>The customer's identity on this channel, with its contact (tracked).</summary>
    private Task<ChannelIdentity?> IdentityAsync(GatewayDbContext db, string externalId, CancellationToken cancellationToken) =>
        db.ChannelIdentities.Include(i => i.Contact).FirstOrDefaultAsync(i => i.InstanceId == instanceId && i.ExternalId == externalId, cancellationToken);

    public async Task<bool> DeclineAsync(string externalId, OutreachPreference atMost, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(externalId) || !Enum.IsDefined(atMost))
        {
            return false;
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        if (await IdentityAsync(db, externalId, cancellationToken) is not { Contact: { } contact } identity)
        {
            return false;
        }

        // Only ever narrower: 退订 after "no messages at all" leaves the buyer at no messages at all.
        var now = time.GetUtcNow();
        if (atMost != OutreachPreference.All)
        {
            contact.MarketingOptOutAt ??= now;
        }

        if (atMost == OutreachPreference.None)
        {
            contact.OptOutAllAt ??= now;
        }

        await db.SaveChangesAsync(cancellationToken);
        LogDeclined(logger, instanceId, contact.Id, atMost, contact.OptOutAllAt is null ? OutreachPreference.NoMarketing : OutreachPreference.None);
        return true;
    }

    public async Task<OutreachPreference> GetAsync(string externalId, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var found = await db.ChannelIdentities.AsNoTracking()
            .Where(i => i.InstanceId == instanceId && i.ExternalId == externalId)
            .Select(i => new { i.OptedOutAt, i.Contact!.MarketingOptOutAt, i.Contact.OptOutAllAt })
            .FirstOrDefaultAsync(cancellationToken);
        return found switch
        {
            null => OutreachPreference.All,
            { OptOutAllAt: not null } or { OptedOutAt: not null } => OutreachPreference.None,
            { MarketingOptOutAt: not null } => OutreachPreference.NoMarketing,
            _ => OutreachPreference.All,
        };
    }

    [LoggerMessage(EventId = 8101, Level = LogLevel.Information, Message = "Contact {ContactId} declined outreach beyond {AtMost} on {InstanceId}; now accepts {Now}")]
    private static partial void LogDeclined(ILogger logger, string instanceId, Guid contactId, OutreachPreference atMost, OutreachPreference now);

    [LoggerMessage(EventId = 8100, Level = LogLevel.Information, Message = "Contact {ContactId} chose outreach {Preference} on {InstanceId} (this channel only: {ThisChannelOnly})")]
    private static partial void LogSet(ILogger logger, string instanceId, Guid contactId, OutreachPreference preference, bool thisChannelOnly);
}

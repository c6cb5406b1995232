using System.Text.RegularExpressions;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Attachments;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Contacts;

/// <summary>
/// A channel instance's <see cref="IContactProfiles"/>: what its provider says of a customer or group chat, kept on
/// their identity of this instance (<see cref="ChannelIdentity.ProfileName"/>, language) and their contact (the
/// picture; the name while the contact has none). A platform's name never joins contacts and never replaces a name
/// the contact already has (a shop-signed one, one an agent may rely on). A cross-account id the platform proves (WeChat's
/// UnionID) does join: the contact is merged into the one whose identity on another instance of this channel type reported
/// the same id (the older one kept; a supervisor can undo it like any merge).
/// </summary>
internal sealed partial class ContactProfiles(
    IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, ILogger<ContactProfiles> logger, string instanceId,
    string channelType, Func<ContactMergeService> merges) : IContactProfiles
{
    /// <summary>The agent a merge the gateway made on a platform's proof is recorded under (no person).</summary>
    public static readonly Guid GatewayAgentId = Guid.Empty;

    public async Task<bool> UpdateAsync(string externalId, ContactProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (string.IsNullOrWhiteSpace(externalId) || externalId.Length > 200)
        {
            return false;
        }

        var crossAccount = profile.CrossAccountId?.Trim();
        if (crossAccount is { Length: 0 or > 200 } || (crossAccount is not null && crossAccount.Any(char.IsControl)))
        {
            throw new ArgumentException("a cross-account id is 1 to 200 characters without control characters", nameof(profile));
        }

        var name = Conversations.VisibleText.OneLine(profile.DisplayName, 200);
        var language = profile.Language?.Trim();
        if (language is not null && !LanguageTag().IsMatch(language))
        {
            throw new ArgumentException($"'{language}' is not a language tag (such as zh-TW or th)", nameof(profile));
        }

        Guid? avatarId = null;
        if (profile.Avatar is { } avatar)
        {
            avatarId = AttachmentService.TryParseId(avatar.Id, out var id) ? id : throw new ArgumentException("the avatar has no id the gateway gave (save it through IAttachmentStore first)", nameof(profile));
        }

        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var identity = await db.ChannelIdentities.Include(i => i.Contact)
            .FirstOrDefaultAsync(i => i.InstanceId == instanceId && i.ExternalId == externalId, cancellationToken);
        if (identity?.Contact is not { } contact)
        {
            return false;
        }

        if (avatarId is { } pictureId)
        {
            // Only a picture this instance saved and nothing holds yet; anything else would show another's file.
            var row = await db.Attachments.FirstOrDefaultAsync(a => a.Id == pictureId, cancellationToken);
            if (row is null || row.InstanceId != instanceId || row.MessageId is not null || (row.ContactId is not null && row.ContactId != contact.Id))
            {
                throw new ArgumentException("the avatar is not a file this channel saved, or it is already taken", nameof(profile));
            }

            if (!ContentSniffer.IsInlineImage(row.ContentType))
            {
                throw new ArgumentException($"the avatar must be a picture; it is {row.ContentType}", nameof(profile));
            }

            row.ContactId = contact.Id;
            if (contact.AvatarId is { } previous && previous != pictureId)
            {
                // The old picture goes back to the clean-up, which deletes it with its bytes.
                await db.Attachments.Where(a => a.Id == previous && a.ContactId == contact.Id && a.MessageId == null)
                    .ExecuteUpdateAsync(s => s.SetProperty(a => a.ContactId, (Guid?)null).SetProperty(a => a.CreatedAt, DateTimeOffset.UnixEpoch), cancellationToken);
            }

            contact.AvatarId = pictureId;
        }

        identity.ProfileName = name ?? identity.ProfileName;
        identity.ProfileLanguage = language ?? identity.ProfileLanguage;
        identity.ProfileUpdatedAt = time.GetUtcNow();
        if (name is not null && string.IsNullOrEmpty(contact.DisplayName))
        {
            contact.DisplayName = name;
        }

        var key = crossAccount is null ? null : $"{channelType}:{crossAccount}";
        identity.CrossAccountKey = key ?? identity.CrossAccountKey;
        await db.SaveChangesAsync(cancellationToken);
        LogProfileUpdated(logger, instanceId, contact.Id);
        if (key is not null)
        {
            await JoinAsync(db, contact, key, cancellationToken);
        }

        return true;
    }

    /// <summary>Merges the contacts whose identities reported the same cross-account id into the oldest of them.</summary>
    private async Task JoinAsync(GatewayDbContext db, Contact contact, string key, CancellationToken cancellationToken)
    {
        var others = await db.ChannelIdentities.AsNoTracking()
            .Where(i => i.CrossAccountKey == key && i.ContactId != contact.Id && i.Contact!.MergedIntoId == null)
            .Select(i => new { i.ContactId, i.Contact!.CreatedAt })
            .Distinct()
            .ToListAsync(cancellationToken);
        var current = (contact.Id, contact.CreatedAt);
        foreach (var other in others)
        {
            var (from, into) = other.CreatedAt <= current.CreatedAt ? (current.Id, other.ContactId) : (other.ContactId, current.Id);
            try
            {
                await merges().MergeAsync(from, into, GatewayAgentId, cancellationToken);
                LogJoined(logger, instanceId, from, into);
                current = into == other.ContactId ? (other.ContactId, other.CreatedAt) : current;
            }
            catch (ContactMergeException ex)
            {
                // Merged meanwhile (by another instance's report, or a supervisor): nothing left to join.
                LogNotJoined(logger, instanceId, from, into, ex.Message);
            }
        }
    }

    [GeneratedRegex("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$")]
    private static partial Regex LanguageTag();

    [LoggerMessage(EventId = 7301, Level = LogLevel.Debug, Message = "Channel {InstanceId} updated the profile of contact {ContactId}")]
    private static partial void LogProfileUpdated(ILogger logger, string instanceId, Guid contactId);

    [LoggerMessage(EventId = 7302, Level = LogLevel.Information, Message = "Channel {InstanceId} proved contacts {FromContactId} and {IntoContactId} one person (the same cross-account id): merged")]
    private static partial void LogJoined(ILogger logger, string instanceId, Guid fromContactId, Guid intoContactId);

    [LoggerMessage(EventId = 7303, Level = LogLevel.Information, Message = "Channel {InstanceId}: contacts {FromContactId} and {IntoContactId} share a cross-account id but were not merged: {Reason}")]
    private static partial void LogNotJoined(ILogger logger, string instanceId, Guid fromContactId, Guid intoContactId, string reason);
}

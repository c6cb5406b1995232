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
/// the contact already has (a shop-signed one, one an agent may rely on).
/// </summary>
internal sealed partial class ContactProfiles(
    IDbContextFactory<GatewayDbContext> dbFactory, TimeProvider time, ILogger<ContactProfiles> logger, string instanceId) : IContactProfiles
{
    public async Task<bool> UpdateAsync(string externalId, ContactProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(profile);
        if (string.IsNullOrWhiteSpace(externalId) || externalId.Length > 200)
        {
            return false;
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

        await db.SaveChangesAsync(cancellationToken);
        LogProfileUpdated(logger, instanceId, contact.Id);
        return true;
    }

    [GeneratedRegex("^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,3}$")]
    private static partial Regex LanguageTag();

    [LoggerMessage(EventId = 7301, Level = LogLevel.Debug, Message = "Channel {InstanceId} updated the profile of contact {ContactId}")]
    private static partial void LogProfileUpdated(ILogger logger, string instanceId, Guid contactId);
}

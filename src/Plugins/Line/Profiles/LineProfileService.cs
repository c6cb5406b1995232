using System.Net;
using System.Threading.Channels;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Line.Api;

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using Refit;

namespace ChatGateway.Plugins.Line.Profiles;

/// <summary>What to fetch: a customer's profile, a group or room member's, or a group's name.</summary>
internal enum LineProfileKind
{
    User,
    GroupMember,
    RoomMember,
    Group,
}

/// <param name="ChatId">The group or room (for a member or a group); null for a customer's own profile.</param>
internal sealed record LineProfileRequest(LineProfileKind Kind, string? UserId, string? ChatId)
{
    public string CacheKey => Kind == LineProfileKind.Group ? LineProfileCache.GroupKey(ChatId!) : LineProfileCache.UserKey(UserId!);
}

/// <summary>
/// Fetches display names (and pictures) from LINE's profile API after a message was stored, and reports them through
/// <see cref="IContactProfiles"/>: the webhook only queues the work, so LINE's answer never waits for it, and a profile
/// that cannot be fetched never fails a message. The queue is bounded; a request that does not fit is asked for again
/// with the customer's next message.
/// </summary>
internal sealed class LineProfileService(
    ILineApi api,
    LineContentClient content,
    LineProfileCache cache,
    IContactProfiles profiles,
    IAttachmentStore attachments,
    IOptionsMonitor<LineOptions> options,
    ILogger<LineProfileService> logger) : BackgroundService
{
    private readonly Channel<LineProfileRequest> _queue = Channel.CreateBounded<LineProfileRequest>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    /// <summary>Queues the profiles this message names that are not known lately (the customer's, or the member's and the group's).</summary>
    public void RequestFor(LineEvent lineEvent)
    {
        var chat = lineEvent.Message.Chat;
        if (chat is null)
        {
            Queue(new LineProfileRequest(LineProfileKind.User, lineEvent.UserId, null));
            return;
        }

        if (lineEvent.UserId is not null)
        {
            Queue(new LineProfileRequest(chat.Kind == ChatKind.Room ? LineProfileKind.RoomMember : LineProfileKind.GroupMember, lineEvent.UserId, chat.ExternalId));
        }

        if (chat.Kind == ChatKind.Group)
        {
            Queue(new LineProfileRequest(LineProfileKind.Group, null, chat.ExternalId));
        }
    }

    private void Queue(LineProfileRequest request)
    {
        if (request.Kind != LineProfileKind.Group && request.UserId is null)
        {
            return;
        }

        if (cache.TryBegin(request.CacheKey) && !_queue.Writer.TryWrite(request))
        {
            cache.Abandon(request.CacheKey);
            Log.ProfileQueueFull(logger);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var request in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(options.CurrentValue.RequestTimeout);
                try
                {
                    await FetchAsync(request, timeout.Token);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // One profile failing (LINE down, a timeout, a contact the gateway refuses to update) stops nothing else.
                    cache.Abandon(request.CacheKey);
                    Log.ProfileFailed(logger, request.Kind.ToString(), ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is asked for again with the next messages.
        }
    }

    private async Task FetchAsync(LineProfileRequest request, CancellationToken cancellationToken)
    {
        switch (request.Kind)
        {
            case LineProfileKind.User:
            {
                using var response = await api.GetProfileAsync(request.UserId!, cancellationToken);
                if (Judge(request, response) is not { } profile)
                {
                    return;
                }

                var avatar = await SavePictureAsync(profile.PictureUrl, cancellationToken);
                await UpdateAsync(request.UserId!, new ContactProfile { DisplayName = profile.DisplayName, Language = profile.Language, Avatar = avatar }, cancellationToken);
                cache.Complete(request.CacheKey, profile.DisplayName);
                break;
            }

            case LineProfileKind.GroupMember or LineProfileKind.RoomMember:
            {
                using var response = request.Kind == LineProfileKind.GroupMember
                    ? await api.GetGroupMemberProfileAsync(request.ChatId!, request.UserId!, cancellationToken)
                    : await api.GetRoomMemberProfileAsync(request.ChatId!, request.UserId!, cancellationToken);
                if (Judge(request, response) is not { } profile)
                {
                    return;
                }

                // The member's name shows as the speaker of their next messages; it names their own contact only if
                // they also write to the shop one-to-one (else the gateway knows no contact by this id).
                await UpdateAsync(request.UserId!, new ContactProfile { DisplayName = profile.DisplayName }, cancellationToken);
                cache.Complete(request.CacheKey, profile.DisplayName);
                break;
            }

            case LineProfileKind.Group:
            {
                using var response = await api.GetGroupSummaryAsync(request.ChatId!, cancellationToken);
                if (Judge(request, response) is not { } summary)
                {
                    return;
                }

                var avatar = await SavePictureAsync(summary.PictureUrl, cancellationToken);
                await UpdateAsync(request.ChatId!, new ContactProfile { DisplayName = summary.GroupName, Avatar = avatar }, cancellationToken);
                cache.Complete(request.CacheKey, summary.GroupName);
                break;
            }
        }
    }

    /// <summary>The answer's content; null when there is none (404: kept as known-without-name; anything else: asked again later).</summary>
    private T? Judge<T>(LineProfileRequest request, IApiResponse<T> response)
        where T : class
    {
        if (response.IsSuccessStatusCode && response.Content is { } found)
        {
            return found;
        }

        var outcome = response.StatusCode is { } code ? $"LINE answered {(int)code}" : "LINE could not be reached";
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            // Not a friend of the account (or the bot left the group): LINE has nothing to give; don't ask for an hour.
            cache.Complete(request.CacheKey, null);
        }
        else
        {
            cache.Abandon(request.CacheKey);
        }

        Log.ProfileNotFetched(logger, request.Kind.ToString(), outcome);
        return null;
    }

    private async Task UpdateAsync(string externalId, ContactProfile profile, CancellationToken cancellationToken)
    {
        try
        {
            await profiles.UpdateAsync(externalId, profile, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            // A language the gateway does not take as a tag, or a picture it refuses: the name still counts.
            Log.ProfilePartlyRefused(logger, ex.Message);
            await profiles.UpdateAsync(externalId, new ContactProfile { DisplayName = profile.DisplayName }, cancellationToken);
        }
    }

    /// <summary>The picture saved in the gateway's store; null when there is none or it cannot be had (the name still counts).</summary>
    private async Task<MessageAttachment?> SavePictureAsync(string? pictureUrl, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(pictureUrl, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
        {
            return null;
        }

        var (response, failure) = await content.GetPictureAsync(url, cancellationToken);
        if (response is null)
        {
            Log.PictureNotFetched(logger, failure!.Reason);
            return null;
        }

        using (response)
        {
            try
            {
                await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
                return await attachments.SaveAsync(stream, "avatar.jpg", response.Content.Headers.ContentType?.MediaType, cancellationToken);
            }
            catch (AttachmentRejectedException ex)
            {
                Log.PictureNotFetched(logger, ex.Message);
                return null;
            }
        }
    }
}

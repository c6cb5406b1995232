using System.Collections.Concurrent;
using System.Threading.Channels;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Api;

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.WeChat.Profiles;

/// <summary>
/// Reads a follower's language from <c>cgi-bin/user/info</c> after their message was stored, at most once a day per
/// follower, and reports it through <see cref="IContactProfiles"/>. The webhook only queues the OpenID (a bounded queue; one
/// that does not fit is asked for with the follower's next message), so WeChat's <c>success</c> never waits for it and a
/// failing call never fails a message. The language also goes on the follower's next messages (<see cref="ChannelSender.Language"/>).
/// </summary>
internal sealed class WeChatUserInfoService(
    WeChatApiClient api,
    WeChatAccessTokens tokens,
    IContactProfiles profiles,
    IOptionsMonitor<WeChatOptions> options,
    TimeProvider time,
    ILogger<WeChatUserInfoService> logger) : BackgroundService
{
    /// <summary>How long a follower's information is kept before it is read again.</summary>
    public static readonly TimeSpan CacheDuration = TimeSpan.FromDays(1);

    /// <summary>A read that never completed (the worker stopped) is given up after this.</summary>
    private static readonly TimeSpan PendingTimeout = TimeSpan.FromMinutes(5);

    private const int TrimAbove = 10_000;

    private readonly Channel<string> _queue = Channel.CreateBounded<string>(
        new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true });

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(string? Language, DateTimeOffset At, bool Pending);

    /// <summary>The language known for this follower (an IETF tag), fresh or not; null when none.</summary>
    public string? LanguageOf(string openId) => _entries.TryGetValue(openId, out var entry) ? entry.Language : null;

    /// <summary>Queues a read of this follower's information unless one was made within the day or is under way.</summary>
    public void RequestFor(string openId)
    {
        if (TryBegin(openId) && !_queue.Writer.TryWrite(openId))
        {
            Abandon(openId);
            Log.UserInfoQueueFull(logger);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var openId in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(options.CurrentValue.RequestTimeout);
                try
                {
                    await FetchAsync(openId, timeout.Token);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    // One follower failing (WeChat down, a timeout, a contact the gateway refuses) stops nothing else.
                    Abandon(openId);
                    Log.UserInfoFailed(logger, ex.GetType().Name);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is still queued is asked for again with the next messages.
        }
    }

    private async Task FetchAsync(string openId, CancellationToken cancellationToken)
    {
        var result = await tokens.CallAsync((token, ct) => api.GetUserInfoAsync(token, openId, ct), cancellationToken);
        if (result is not { ErrCode: 0, Unreachable: false, User: { } user })
        {
            Abandon(openId);
            Log.UserInfoNotRead(logger, result is null ? "no access_token" : $"errcode {result.ErrCode} {WeChatMapper.ErrorText(result.ErrMsg)}");
            return;
        }

        // The UnionID (accounts bound to one 开放平台 account) is the same person on every one of the shop's accounts: the
        // gateway joins their contacts by it.
        var unionId = string.IsNullOrWhiteSpace(user.UnionId) ? null : user.UnionId.Trim();
        if (unionId is not null)
        {
            Log.UnionIdSeen(logger, openId, unionId);
        }

        // subscribe 0: no longer a follower, WeChat gives nothing more; kept for the day all the same.
        var language = user.Subscribe == 0 ? null : WeChatMapper.ToLanguageTag(user.Language);
        Complete(openId, language);
        if (language is not null || unionId is not null)
        {
            try
            {
                await profiles.UpdateAsync(openId, new ContactProfile { Language = language, CrossAccountId = unionId }, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                Log.UserInfoRefused(logger, ex.Message);
            }
        }
    }

    private bool TryBegin(string openId)
    {
        var now = time.GetUtcNow();
        while (true)
        {
            if (!_entries.TryGetValue(openId, out var entry))
            {
                if (_entries.TryAdd(openId, new Entry(null, now, Pending: true)))
                {
                    return true;
                }

                continue;
            }

            var fresh = now - entry.At < (entry.Pending ? PendingTimeout : CacheDuration);
            if (fresh)
            {
                return false;
            }

            if (_entries.TryUpdate(openId, entry with { At = now, Pending = true }, entry))
            {
                return true;
            }
        }
    }

    private void Complete(string openId, string? language)
    {
        _entries[openId] = new Entry(language ?? LanguageOf(openId), time.GetUtcNow(), Pending: false);
        if (_entries.Count > TrimAbove)
        {
            var stale = time.GetUtcNow() - CacheDuration;
            foreach (var (old, entry) in _entries)
            {
                if (!entry.Pending && entry.At < stale)
                {
                    _entries.TryRemove(old, out _);
                }
            }
        }
    }

    /// <summary>The read failed: the next message asks again (the language known stays meanwhile).</summary>
    private void Abandon(string openId)
    {
        if (_entries.TryGetValue(openId, out var entry))
        {
            if (entry.Language is null)
            {
                _entries.TryRemove(KeyValuePair.Create(openId, entry));
            }
            else
            {
                _entries.TryUpdate(openId, entry with { At = DateTimeOffset.MinValue, Pending = false }, entry);
            }
        }
    }
}

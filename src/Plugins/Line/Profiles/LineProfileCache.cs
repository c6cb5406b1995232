using System.Collections.Concurrent;

using Microsoft.Extensions.Options;

namespace ChatGateway.Plugins.Line.Profiles;

/// <summary>
/// The display names and group names this instance fetched lately, in memory: a name is fetched again only after
/// <see cref="LineOptions.ProfileCacheDuration"/>, and one being fetched is not asked for twice. The names also go on the
/// next messages (a group member's name as the speaker's, a group's as the chat's title).
/// </summary>
internal sealed class LineProfileCache(TimeProvider time, IOptionsMonitor<LineOptions> options)
{
    /// <summary>A fetch that never completed (the worker stopped) is given up after this.</summary>
    private static readonly TimeSpan PendingTimeout = TimeSpan.FromMinutes(5);

    private const int TrimAbove = 10_000;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    private sealed record Entry(string? Name, DateTimeOffset At, bool Pending);

    public static string UserKey(string userId) => "user:" + userId;

    public static string GroupKey(string groupId) => "group:" + groupId;

    /// <summary>The name known for this key, fresh or not; null when none.</summary>
    public string? NameOf(string key) => _entries.TryGetValue(key, out var entry) ? entry.Name : null;

    /// <summary>True when the caller should fetch this key now (nothing fresh is known and no fetch is under way); marks it under way.</summary>
    public bool TryBegin(string key)
    {
        var now = time.GetUtcNow();
        while (true)
        {
            if (!_entries.TryGetValue(key, out var entry))
            {
                if (_entries.TryAdd(key, new Entry(null, now, Pending: true)))
                {
                    return true;
                }

                continue;
            }

            var fresh = entry.Pending ? now - entry.At < PendingTimeout : now - entry.At < options.CurrentValue.ProfileCacheDuration;
            if (fresh)
            {
                return false;
            }

            if (_entries.TryUpdate(key, entry with { At = now, Pending = true }, entry))
            {
                return true;
            }
        }
    }

    /// <summary>The fetch answered (null name: LINE has none, e.g. a customer who is no longer a friend): kept for the cache's duration.</summary>
    public void Complete(string key, string? name)
    {
        _entries[key] = new Entry(name ?? NameOf(key), time.GetUtcNow(), Pending: false);
        if (_entries.Count > TrimAbove)
        {
            var stale = time.GetUtcNow() - options.CurrentValue.ProfileCacheDuration;
            foreach (var (old, entry) in _entries)
            {
                if (!entry.Pending && entry.At < stale)
                {
                    _entries.TryRemove(old, out _);
                }
            }
        }
    }

    /// <summary>The fetch failed: the next message asks again (the last name known stays meanwhile).</summary>
    public void Abandon(string key)
    {
        if (_entries.TryGetValue(key, out var entry))
        {
            if (entry.Name is null)
            {
                _entries.TryRemove(KeyValuePair.Create(key, entry));
            }
            else
            {
                _entries.TryUpdate(key, entry with { At = DateTimeOffset.MinValue, Pending = false }, entry);
            }
        }
    }
}

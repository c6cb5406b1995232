using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.Sms.Tests.Fakes;

/// <summary>Records the outreach choices the plugin reports, as the gateway's IOutreachPreferences would receive them.</summary>
internal sealed class RecordingOutreachPreferences : IOutreachPreferences
{
    private readonly ConcurrentQueue<(string ExternalId, OutreachPreference Preference, bool ThisChannelOnly)> _set = new();

    public IReadOnlyList<(string ExternalId, OutreachPreference Preference, bool ThisChannelOnly)> Set => [.. _set];

    public Task<bool> SetAsync(string externalId, OutreachPreference preference, bool thisChannelOnly, CancellationToken cancellationToken)
    {
        _set.Enqueue((externalId, preference, thisChannelOnly));
        return Task.FromResult(true);
    }

    private readonly ConcurrentQueue<(string ExternalId, OutreachPreference AtMost)> _declined = new();

    public IReadOnlyList<(string ExternalId, OutreachPreference AtMost)> Declined => [.. _declined];

    public Task<bool> DeclineAsync(string externalId, OutreachPreference atMost, CancellationToken cancellationToken)
    {
        _declined.Enqueue((externalId, atMost));
        return Task.FromResult(true);
    }

    public Task<OutreachPreference> GetAsync(string externalId, CancellationToken cancellationToken) => Task.FromResult(OutreachPreference.All);
}

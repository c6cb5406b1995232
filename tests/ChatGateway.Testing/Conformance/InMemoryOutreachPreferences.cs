using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// The gateway's IOutreachPreferences in memory: a customer is known once the inbound sink accepted a message of theirs
/// (before that SetAsync answers false, as the gateway does for an id it has no identity for).
/// </summary>
public sealed class InMemoryOutreachPreferences(RecordingInboundSink inbound) : IOutreachPreferences
{
    private readonly ConcurrentDictionary<string, (OutreachPreference Preference, bool ThisChannelOnly)> _choices = new(StringComparer.Ordinal);

    /// <summary>The last choice recorded per external id.</summary>
    public IReadOnlyDictionary<string, (OutreachPreference Preference, bool ThisChannelOnly)> Choices => _choices;

    public Task<bool> SetAsync(string externalId, OutreachPreference preference, bool thisChannelOnly, CancellationToken cancellationToken)
    {
        if (!inbound.Accepted.Any(m => m.Sender.ExternalId == externalId))
        {
            return Task.FromResult(false);
        }

        _choices[externalId] = (preference, thisChannelOnly);
        return Task.FromResult(true);
    }

    public Task<bool> DeclineAsync(string externalId, OutreachPreference atMost, CancellationToken cancellationToken)
    {
        if (!inbound.Accepted.Any(m => m.Sender.ExternalId == externalId))
        {
            return Task.FromResult(false);
        }

        // Only ever narrower, as the gateway records it.
        _choices.AddOrUpdate(
            externalId, (atMost, false), (_, was) => was.Preference >= atMost ? was : (atMost, false));
        return Task.FromResult(true);
    }

    public Task<OutreachPreference> GetAsync(string externalId, CancellationToken cancellationToken) =>
        Task.FromResult(_choices.TryGetValue(externalId, out var choice) ? choice.Preference : OutreachPreference.All);
}

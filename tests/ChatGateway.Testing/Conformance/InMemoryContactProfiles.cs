using System.Collections.Concurrent;

using ChatGateway.Abstractions;

namespace ChatGateway.Testing.Conformance;

/// <summary>
/// The gateway's IContactProfiles in memory: a contact is known once the inbound sink accepted a message of theirs (before
/// that UpdateAsync answers false and stores nothing, as the gateway does); every update is recorded, and fields left null
/// keep what was there.
/// </summary>
public sealed class InMemoryContactProfiles(RecordingInboundSink inbound) : IContactProfiles
{
    private readonly ConcurrentQueue<(string ExternalId, ContactProfile Profile)> _updates = new();
    private readonly ConcurrentDictionary<string, ContactProfile> _profiles = new(StringComparer.Ordinal);

    /// <summary>Every update asked for, known contact or not, oldest first.</summary>
    public IReadOnlyList<(string ExternalId, ContactProfile Profile)> Updates => [.. _updates];

    /// <summary>The profile stored per external id (the updates of known contacts merged).</summary>
    public IReadOnlyDictionary<string, ContactProfile> Profiles => _profiles;

    public Task<bool> UpdateAsync(string externalId, ContactProfile profile, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(externalId);
        ArgumentNullException.ThrowIfNull(profile);
        _updates.Enqueue((externalId, profile));
        var known = inbound.Accepted.Any(m => m.Sender.ExternalId == externalId || m.Chat?.ExternalId == externalId);
        if (!known)
        {
            return Task.FromResult(false);
        }

        _profiles.AddOrUpdate(externalId, profile, (_, old) => new ContactProfile
        {
            DisplayName = profile.DisplayName ?? old.DisplayName,
            Language = profile.Language ?? old.Language,
            Avatar = profile.Avatar ?? old.Avatar,
        });
        return Task.FromResult(true);
    }
}

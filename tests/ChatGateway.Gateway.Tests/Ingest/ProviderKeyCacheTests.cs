using ChatGateway.Gateway.Ingest;

namespace ChatGateway.Gateway.Tests.Ingest;

/// <summary>
/// The inbound writer's memory of active contacts' provider keys: read once per contact, kept up to date,
/// bounded, and read again after being forgotten, so a redelivery is recognised whatever was evicted.
/// </summary>
public sealed class ProviderKeyCacheTests
{
    [Fact]
    public void ContactsKeys_AreReadOnce_ThenKeptUpToDate()
    {
        var cache = new ProviderKeyCache(maxKeys: 100);
        var reads = 0;
        var alice = Guid.NewGuid();
        HashSet<long> Read(Guid contact)
        {
            reads++;
            return contact == alice ? [1, 2] : [];
        }

        Assert.True(cache.MayHave(alice, 1, Read));
        Assert.False(cache.MayHave(alice, 3, Read));
        cache.Add(alice, 3);
        Assert.True(cache.MayHave(alice, 3, Read));
        Assert.Equal(1, reads);
        Assert.Equal(3, cache.Count);
    }

    [Fact]
    public void OverTheLimit_TheLeastRecentlyUsedContactsAreForgotten_AndReadAgainWhenTheyWrite()
    {
        var cache = new ProviderKeyCache(maxKeys: 10);
        var stored = new Dictionary<Guid, HashSet<long>>();
        var reads = new List<Guid>();
        HashSet<long> Read(Guid contact)
        {
            reads.Add(contact);
            return [.. stored.GetValueOrDefault(contact) ?? []];
        }

        var contacts = Enumerable.Range(0, 4).Select(_ => Guid.NewGuid()).ToArray();
        foreach (var (contact, i) in contacts.Select((c, i) => (c, i)))
        {
            stored[contact] = [.. Enumerable.Range(i * 100, 4).Select(k => (long)k)];
            Assert.True(cache.MayHave(contact, i * 100, Read));
        }

        // 16 keys were read for a limit of 10: the two oldest contacts went.
        Assert.True(cache.Count <= 10, $"{cache.Count} keys held");
        reads.Clear();
        Assert.True(cache.MayHave(contacts[3], 301, Read));
        Assert.True(cache.MayHave(contacts[2], 201, Read));
        Assert.Empty(reads);
        Assert.True(cache.MayHave(contacts[0], 3, Read), "a forgotten contact's keys are read again");
        Assert.Equal([contacts[0]], reads);
    }

    [Fact]
    public void OneContactWithMoreKeysThanTheLimit_IsStillHeldWhileInUse()
    {
        var cache = new ProviderKeyCache(maxKeys: 3);
        var chatty = Guid.NewGuid();
        Assert.True(cache.MayHave(chatty, 5, _ => [1, 2, 3, 4, 5]));
        cache.Add(chatty, 6);
        Assert.True(cache.MayHave(chatty, 6, _ => throw new InvalidOperationException("read again")));
    }

    [Fact]
    public void ForgottenOrMergedContacts_AreReadAgain_NewContactsAreNot()
    {
        var cache = new ProviderKeyCache(maxKeys: 100);
        var merged = Guid.NewGuid();
        var fresh = Guid.NewGuid();
        Assert.False(cache.MayHave(merged, 7, _ => []));
        cache.Forget(merged);
        Assert.True(cache.MayHave(merged, 7, _ => [7]), "after a merge the contact's keys include the other contact's");

        cache.AddContact(fresh);
        cache.Add(fresh, 9);
        Assert.True(cache.MayHave(fresh, 9, _ => throw new InvalidOperationException("a new contact has nothing stored to read")));
    }
}

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// The provider keys (<see cref="Store.Message.KeyOf"/>) of the messages of recently active contacts, so
/// that the inbound writer recognises a redelivery without a store-wide index of random keys. A contact's
/// keys are read once, then kept up to date by the writer; the least recently used contacts are forgotten
/// once <see cref="MaxKeys"/> keys are held, and read again when they write next.
/// </summary>
/// <remarks>
/// A contact's set holds a key for every message of its conversations as long as two things hold: only the
/// inbound writer stores inbound messages, and only it moves conversations between contacts (when it
/// merges two, it forgets both). A key too many is harmless: a key found is always checked against the
/// stored message, so a batch that rolled back, or a message deleted since, is never taken for a
/// redelivery. Used by the writer's thread only.
/// </remarks>
internal sealed class ProviderKeyCache(int maxKeys)
{
    private readonly Dictionary<Guid, LinkedListNode<Entry>> _byContact = [];
    private readonly LinkedList<Entry> _recent = [];

    /// <summary>Keys held at most; 500,000 keys take about 10-20 MB.</summary>
    public int MaxKeys { get; } = maxKeys;

    /// <summary>Keys held now, over all contacts.</summary>
    public int Count { get; private set; }

    /// <summary>Whether a message of the contact may have the key (reading the contact's keys first if needed).</summary>
    public bool MayHave(Guid contactId, long key, Func<Guid, HashSet<long>> read)
    {
        if (!_byContact.TryGetValue(contactId, out var node))
        {
            node = Hold(contactId, read(contactId));
        }
        else
        {
            _recent.Remove(node);
            _recent.AddFirst(node);
        }

        return node.Value.Keys.Contains(key);
    }

    /// <summary>A contact that has no messages yet (created by this batch).</summary>
    public void AddContact(Guid contactId) => Hold(contactId, []);

    /// <summary>A message stored for the contact (nothing to do if the contact's keys are not held).</summary>
    public void Add(Guid contactId, long key)
    {
        if (_byContact.TryGetValue(contactId, out var node) && node.Value.Keys.Add(key))
        {
            Count++;
            Trim();
        }
    }

    /// <summary>Forgets the contact's keys: they are read again when next needed.</summary>
    public void Forget(Guid contactId)
    {
        if (_byContact.Remove(contactId, out var node))
        {
            _recent.Remove(node);
            Count -= node.Value.Keys.Count;
        }
    }

    private LinkedListNode<Entry> Hold(Guid contactId, HashSet<long> keys)
    {
        Forget(contactId);
        var node = _recent.AddFirst(new Entry(contactId, keys));
        _byContact[contactId] = node;
        Count += keys.Count;
        Trim();
        return node;
    }

    private void Trim()
    {
        // The contact just used stays, however many keys it has.
        while (Count > MaxKeys && _recent.Last is { } oldest && oldest != _recent.First)
        {
            Forget(oldest.Value.ContactId);
        }
    }

    private sealed record Entry(Guid ContactId, HashSet<long> Keys);
}

using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// The rows the inbound writer works on: read for a whole batch at once before its messages are handled
/// (<see cref="Prefetch"/>), then looked up in memory, so each contact and conversation is read once per batch
/// however many of its messages the batch holds, and written once, after them (<see cref="Flush"/>). Where the
/// engine says no other writer has committed since (<see cref="IInboundStatements.NothingChangedSince"/>), the
/// rows are kept for the next batch, so a busy customer's rows are read once, not once per batch.
/// </summary>
internal sealed class InboundRows(IInboundStatements sql)
{
    public IInboundStatements Statements => sql;

    public int Count => _contacts.Count + _identities.Count + _open.Count + _byPhone.Count + _byEmail.Count + _heads.Count;

    // Kept from batch to batch while nothing else writes.
    private readonly Dictionary<(string Instance, string ExternalId), Guid> _identities = [];
    private readonly Dictionary<Guid, Contact> _contacts = [];
    private readonly Dictionary<string, Contact?> _byPhone = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Contact?> _byEmail = new(StringComparer.OrdinalIgnoreCase);
    private readonly Dictionary<Guid, Conversation?> _open = [];
    private readonly Dictionary<Guid, InboundHead> _heads = [];

    // This batch's.
    private readonly HashSet<(string Instance, string ExternalId)> _noIdentity = [];
    private readonly Dictionary<(string Instance, string ProviderId), (Guid MessageId, Guid ConversationId)> _messages = [];
    private readonly HashSet<Contact> _dirtyContacts = [];
    private readonly HashSet<Conversation> _dirtyConversations = [];
    private readonly HashSet<InboundHead> _dirtyHeads = [];
    private readonly HashSet<Guid> _created = [];
    private readonly Dictionary<Guid, Conversation?> _threads = [];

    /// <summary>
    /// Reads what the batch needs in a few set-wide reads, in the order that makes a race between two instances
    /// safe: the senders' contacts first (locked where the engine locks rows), then their stored messages (so a
    /// copy another instance committed meanwhile is seen), the contacts owning the batch's verified phones and
    /// emails, the contacts' open conversations and those conversations' chain heads.
    /// </summary>
    public void Prefetch(IReadOnlyList<PendingInbound> batch)
    {
        _noIdentity.Clear();
        _messages.Clear();
        _dirtyContacts.Clear();
        _dirtyConversations.Clear();
        _dirtyHeads.Clear();
        _created.Clear();
        _threads.Clear();

        var identityKeys = batch.Select(i => (i.InstanceId, i.Message.Sender.ExternalId)).Where(k => !_identities.ContainsKey(k)).ToHashSet();
        var found = new Dictionary<(string, string), Contact>();
        sql.FindIdentities(identityKeys, found);
        foreach (var key in identityKeys)
        {
            if (found.TryGetValue(key, out var contact))
            {
                _identities[key] = Known(contact).Id;
            }
            else
            {
                _noIdentity.Add(key);
            }
        }

        // A stored message's sender has an identity (stored with the message's first copy): only senders seen before
        // can be redelivering, so a new customer's messages cost no lookup.
        var messageKeys = new HashSet<InboundKey>();
        foreach (var item in batch)
        {
            if (_identities.TryGetValue((item.InstanceId, item.Message.Sender.ExternalId), out var contactId))
            {
                messageKeys.Add(new InboundKey(item.InstanceId, item.Message.ProviderMessageId, contactId, item.ProviderKey));
            }
        }

        sql.FindMessages(messageKeys, _messages);

        var phones = batch.Select(i => i.Phone).OfType<string>().Where(p => !_byPhone.ContainsKey(p)).ToHashSet(StringComparer.Ordinal);
        var emails = batch.Select(i => i.Email).OfType<string>().Where(e => !_byEmail.ContainsKey(e)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var byPhone = new Dictionary<string, Contact>(StringComparer.Ordinal);
        var byEmail = new Dictionary<string, Contact>(StringComparer.OrdinalIgnoreCase);
        sql.FindContactsByKeys(phones, emails, byPhone, byEmail);
        foreach (var phone in phones)
        {
            _byPhone[phone] = byPhone.TryGetValue(phone, out var owner) ? Known(owner) : null;
        }

        foreach (var email in emails)
        {
            _byEmail[email] = byEmail.TryGetValue(email, out var owner) ? Known(owner) : null;
        }

        // The batch's own contacts only: the rows kept from earlier batches may hold a hundred thousand.
        var contactIds = new HashSet<Guid>();
        foreach (var item in batch)
        {
            if (_identities.TryGetValue((item.InstanceId, item.Message.Sender.ExternalId), out var id) && !_open.ContainsKey(id))
            {
                contactIds.Add(id);
            }

            if (item.Phone is not null && _byPhone.GetValueOrDefault(item.Phone) is { } byPhoneOwner && !_open.ContainsKey(byPhoneOwner.Id))
            {
                contactIds.Add(byPhoneOwner.Id);
            }

            if (item.Email is not null && _byEmail.GetValueOrDefault(item.Email) is { } byEmailOwner && !_open.ContainsKey(byEmailOwner.Id))
            {
                contactIds.Add(byEmailOwner.Id);
            }
        }

        LoadOpen(contactIds);
    }

    /// <summary>A message of this batch's keys already stored (read by <see cref="Prefetch"/>, or stored by this batch).</summary>
    public (Guid MessageId, Guid ConversationId)? FindMessage(string instanceId, string providerId) =>
        _messages.TryGetValue((instanceId, providerId), out var known) ? known : null;

    public void AddMessage(string instanceId, string providerId, Guid messageId, Guid conversationId) =>
        _messages[(instanceId, providerId)] = (messageId, conversationId);

    /// <summary>The contact the identity belongs to, or null for an identity never seen.</summary>
    public Contact? FindIdentity(string instanceId, string externalId)
    {
        var key = (instanceId, externalId);
        if (_identities.TryGetValue(key, out var contactId))
        {
            return _contacts[contactId];
        }

        if (_noIdentity.Contains(key))
        {
            return null;
        }

        var found = new Dictionary<(string, string), Contact>();
        sql.FindIdentities([key], found);
        if (!found.TryGetValue(key, out var contact))
        {
            _noIdentity.Add(key);
            return null;
        }

        _identities[key] = Known(contact).Id;
        return _contacts[contact.Id];
    }

    public void AddIdentity(Guid id, Contact owner, string instanceId, string externalId, DateTimeOffset now)
    {
        sql.InsertIdentity(id, owner.Id, instanceId, externalId, now);
        _identities[(instanceId, externalId)] = owner.Id;
        _noIdentity.Remove((instanceId, externalId));
    }

    public void AddContact(Contact contact)
    {
        sql.InsertContact(contact);
        _created.Add(contact.Id);
        _dirtyContacts.Remove(contact);
        _contacts[contact.Id] = contact;
        _open[contact.Id] = null;
    }

    /// <summary>The contact who owns the verified phone, else the email.</summary>
    public Contact? ContactByKeys(string? phone, string? email)
    {
        if (phone is not null)
        {
            if (!_byPhone.TryGetValue(phone, out var owner))
            {
                var found = new Dictionary<string, Contact>(StringComparer.Ordinal);
                sql.FindContactsByKeys([phone], [], found, []);
                owner = found.TryGetValue(phone, out var o) ? Known(o) : null;
                _byPhone[phone] = owner;
            }

            if (owner is not null)
            {
                return owner;
            }
        }

        if (email is not null)
        {
            if (!_byEmail.TryGetValue(email, out var owner))
            {
                var found = new Dictionary<string, Contact>(StringComparer.OrdinalIgnoreCase);
                sql.FindContactsByKeys([], [email], [], found);
                owner = found.TryGetValue(email, out var o) ? Known(o) : null;
                _byEmail[email] = owner;
            }

            return owner;
        }

        return null;
    }

    public void Remember(Contact contact)
    {
        if (contact.Phone is not null && (!_byPhone.TryGetValue(contact.Phone, out var byPhone) || byPhone is null))
        {
            _byPhone[contact.Phone] = contact;
        }

        if (contact.Email is not null && (!_byEmail.TryGetValue(contact.Email, out var byEmail) || byEmail is null))
        {
            _byEmail[contact.Email] = contact;
        }
    }

    public void Touched(Contact contact) => _dirtyContacts.Add(contact);

    public void Touched(Conversation conversation) => _dirtyConversations.Add(conversation);

    /// <summary>The contact's newest open conversation, if any.</summary>
    public Conversation? OpenConversationOf(Guid contactId)
    {
        if (!_open.TryGetValue(contactId, out var open))
        {
            LoadOpen([contactId]);
            open = _open[contactId];
        }

        return open;
    }

    public void AddOpen(Conversation conversation) => _open[conversation.ContactId] = conversation;

    /// <summary>
    /// The first of <paramref name="candidates"/> (conversations a message's thread names) that is the contact's own and
    /// not closed; null when none is. A thread's ids are no proof of who writes (anyone may quote them): another
    /// contact's conversation is never joined.
    /// </summary>
    public Conversation? ThreadConversation(Guid contactId, IReadOnlyList<Guid> candidates)
    {
        var open = OpenConversationOf(contactId);
        foreach (var id in candidates)
        {
            if (open?.Id == id)
            {
                return open;
            }

            if (!_threads.TryGetValue(id, out var conversation))
            {
                conversation = sql.FindConversation(id);
                _threads[id] = conversation;
            }

            if (conversation is not null && conversation.ContactId == contactId && conversation.Status != ConversationStatus.Closed)
            {
                return conversation;
            }
        }

        return null;
    }

    /// <summary>
    /// Makes <paramref name="messageId"/> the newest customer message of the conversation (the first of its
    /// unanswered run if an agent answered since the last one) and returns the one before it, if any.
    /// </summary>
    public Guid? Append(Guid conversationId, bool isNew, Guid messageId, DateTimeOffset at)
    {
        if (!isNew && !_heads.ContainsKey(conversationId))
        {
            // A conversation not prefetched (it became the contact's through a merge in this batch).
            sql.FindHeads([conversationId], _heads);
        }

        var head = _heads.GetValueOrDefault(conversationId);
        var previous = head?.LastMessageId;
        head ??= new InboundHead { ConversationId = conversationId };
        head.LastMessageId = messageId;
        head.LastMessageAt = at;
        if (head.RunStartId is null)
        {
            head.RunStartId = messageId;
            head.RunStartAt = at;
        }

        _heads[conversationId] = head;
        _dirtyHeads.Add(head);
        return previous;
    }

    /// <summary>
    /// The agents the contacts had in a conversation closed since <paramref name="since"/>, in one read; a contact
    /// created by this batch has had none, and costs nothing.
    /// </summary>
    public Dictionary<Guid, Guid> StickyAgentsOf(IEnumerable<Guid> contactIds, DateTimeOffset since)
    {
        var found = new Dictionary<Guid, Guid>();
        sql.FindStickyAgents(contactIds.Where(id => !_created.Contains(id)).ToHashSet(), since, found);
        return found;
    }

    /// <summary>The customer proved a phone or email another contact has: they are one person.</summary>
    public void Merge(Contact from, Contact into)
    {
        var fromOpen = OpenConversationOf(from.Id);
        var intoOpen = OpenConversationOf(into.Id);
        sql.MoveContact(from.Id, into.Id);

        into.Phone ??= from.Phone;
        into.Email ??= from.Email;
        into.DisplayName ??= from.DisplayName;
        into.DeclaredName ??= from.DeclaredName;
        into.DeclaredPhone ??= from.DeclaredPhone;
        into.DeclaredEmail ??= from.DeclaredEmail;
        into.IsVip |= from.IsVip;
        into.ExclusiveAgentId ??= from.ExclusiveAgentId;
        _dirtyContacts.Add(into);
        _dirtyContacts.Remove(from);

        foreach (var key in _identities.Where(i => i.Value == from.Id).Select(i => i.Key).ToList())
        {
            _identities[key] = into.Id;
        }

        foreach (var key in _byPhone.Where(p => p.Value == from).Select(p => p.Key).ToList())
        {
            _byPhone[key] = into;
        }

        foreach (var key in _byEmail.Where(p => p.Value == from).Select(p => p.Key).ToList())
        {
            _byEmail[key] = into;
        }

        if (fromOpen is not null)
        {
            fromOpen.ContactId = into.Id;
        }

        _open.Remove(from.Id);
        _open[into.Id] = new[] { fromOpen, intoOpen }.OfType<Conversation>().MaxBy(c => c.CreatedAt);
        _contacts.Remove(from.Id);
    }

    /// <summary>Writes what the batch changed on contacts and conversations that were there before.</summary>
    public void Flush()
    {
        foreach (var contact in _dirtyContacts)
        {
            sql.UpdateContact(contact);
        }

        foreach (var conversation in _dirtyConversations)
        {
            sql.UpdateConversation(conversation);
        }

        foreach (var head in _dirtyHeads)
        {
            sql.SaveHead(head);
        }
    }

    private void LoadOpen(IReadOnlyCollection<Guid> contactIds)
    {
        var open = new Dictionary<Guid, Conversation>();
        sql.FindOpenConversations(contactIds, open);
        var heads = new List<Guid>();
        foreach (var id in contactIds)
        {
            var conversation = open.GetValueOrDefault(id);
            _open[id] = conversation;
            if (conversation is not null && !_heads.ContainsKey(conversation.Id))
            {
                heads.Add(conversation.Id);
            }
        }

        sql.FindHeads(heads, _heads);
    }

    private Contact Known(Contact found)
    {
        if (_contacts.TryGetValue(found.Id, out var known))
        {
            return known;
        }

        _contacts[found.Id] = found;
        return found;
    }
}

using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// The inbound writer's part that differs per engine: one connection, its write transaction, and the rows the
/// writer reads and writes. Reads take a whole batch's keys at once (one round trip on PostgreSQL, a few index
/// seeks on SQLite) and, inside the write transaction, lock what they return where the engine needs it
/// (PostgreSQL's <c>FOR UPDATE</c>; a SQLite write transaction holds the whole database), so two gateway instances
/// handling one customer at once take turns. The unique constraints of the store (one inbound message per
/// instance and provider id, one identity per instance and external id, one contact per verified phone and
/// email) turn away what a race would still duplicate; <see cref="InboundWriter"/> then stores the batch again.
/// </summary>
internal interface IInboundStatements : IDisposable
{
    /// <summary>Begins the batch's write transaction.</summary>
    void Begin();

    /// <summary>Writes what is queued and commits.</summary>
    void Commit();

    /// <summary>Whether rows read before this transaction began are still what the store holds (no other writer committed since).</summary>
    bool NothingChangedSince();

    /// <summary>The contacts that own these identities (locked), by (instance, external id); merged-away contacts are followed to their owner by the caller.</summary>
    void FindIdentities(IReadOnlyCollection<(string Instance, string ExternalId)> keys, Dictionary<(string, string), Contact> found);

    /// <summary>Stored customer messages by (instance, provider id), of senders seen before: the message and its conversation.</summary>
    void FindMessages(IReadOnlyCollection<InboundKey> keys, Dictionary<(string, string), (Guid MessageId, Guid ConversationId)> found);

    /// <summary>The contacts (not merged away) that own these verified phones / emails (locked).</summary>
    void FindContactsByKeys(IReadOnlyCollection<string> phones, IReadOnlyCollection<string> emails, Dictionary<string, Contact> byPhone, Dictionary<string, Contact> byEmail);

    /// <summary>Each contact's newest conversation that is not closed.</summary>
    void FindOpenConversations(IReadOnlyCollection<Guid> contactIds, Dictionary<Guid, Conversation> found);

    /// <summary>The conversations' inbound heads (locked: the chain is read, then extended).</summary>
    void FindHeads(IReadOnlyCollection<Guid> conversationIds, Dictionary<Guid, InboundHead> found);

    /// <summary>For each contact, the agent of its newest conversation closed since <paramref name="since"/> (if any).</summary>
    void FindStickyAgents(IReadOnlyCollection<Guid> contactIds, DateTimeOffset since, Dictionary<Guid, Guid> found);

    void InsertContact(Contact contact);

    void UpdateContact(Contact contact);

    void InsertIdentity(Guid id, Guid contactId, string instanceId, string externalId, DateTimeOffset created);

    void InsertConversation(Conversation conversation);

    void UpdateConversation(Conversation conversation);

    /// <summary>
    /// Opens a <see cref="ConversationStatus.Pending"/> conversation (one the gateway started, e.g. a follow-up) that the
    /// customer answered: its status, skill, priority and reason, language, step time and where replies go. Does nothing
    /// when it is no longer pending.
    /// </summary>
    void OpenPending(Conversation conversation);

    void InsertMessage(Message message);

    /// <summary>The conversation with this id (locked), or null.</summary>
    Conversation? FindConversation(Guid id);

    /// <summary>What a message carries beyond its text (rare: email, not chat).</summary>
    void InsertContent(MessageContent content);

    /// <summary>Keeps a message's reply context as its conversation's newest on the instance (replacing the one before).</summary>
    void SaveReplyContext(ReplyContextEntry context);

    /// <summary>Puts a saved file on its message: only a file of this instance that no message has taken yet.</summary>
    void BindAttachment(Guid attachmentId, Guid messageId, Guid conversationId, string instanceId, string? contentId);

    /// <summary>Gives the conversation its subject, unless it has one.</summary>
    void SetSubject(Guid conversationId, string subject);

    void SaveHead(InboundHead head);

    /// <summary>A webhook event in the batch's transaction (only when a subscription wants it).</summary>
    void InsertWebhookEvent(Webhooks.WebhookEvent e);

    /// <summary>Moves the identities and conversations of <paramref name="from"/> to <paramref name="into"/> and deletes it.</summary>
    void MoveContact(Guid from, Guid into);
}

/// <summary>A customer message looked for: its instance and provider id, its sender's contact and its <see cref="Message.KeyOf"/>.</summary>
internal readonly record struct InboundKey(string Instance, string ProviderId, Guid ContactId, long ProviderKey);

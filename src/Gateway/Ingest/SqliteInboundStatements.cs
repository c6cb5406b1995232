using ChatGateway.Gateway.Store;
using Microsoft.Data.Sqlite;
using static ChatGateway.Gateway.Ingest.InboundRowReader;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// SQLite's part of the inbound writer: its own connection and prepared statements, reused batch after batch
/// (each lookup one index seek, each write one statement; the hottest inserts through SQLite's own interface).
/// A write transaction (<c>BEGIN IMMEDIATE</c>) holds the whole database, so nothing needs a row lock, and
/// <c>PRAGMA data_version</c> tells whether another connection (another gateway process, an agent's reply)
/// committed since the last batch, so the writer may keep the rows it read.
/// </summary>
/// <remarks>
/// One customer message per (instance, provider id) is kept here by SQLite's write lock rather than by a unique index:
/// every writer of the file, in any process, looks up and inserts inside one write transaction, which SQLite runs one
/// at a time. A unique index of customer messages costs SQLite a random page of its own per message (their provider
/// ids are random), which slowed ingest markedly (bench/README.md has the figures).
/// So a redelivery is found through a filter of the provider keys of every stored message (<see cref="ProviderKeyFilter"/>,
/// read when the writer opens, caught up with what other connections stored before each batch): a key it has never
/// seen is a new message; only a key it may have (a redelivery, or about one new message in 100,000) costs a look
/// along the chains of customer messages of the sender's conversations. PostgreSQL, whose writers do run at once,
/// has the unique index.
/// </remarks>
internal sealed class SqliteInboundStatements : IInboundStatements
{
    private readonly StoreDialect _d;
    private readonly SqliteConnection _connection;
    private readonly List<SqliteCommand> _all = [];
    private readonly SqliteCommand _findMessage;
    private readonly SqliteCommand _findIdentity;
    private readonly SqliteCommand _findContactByPhone;
    private readonly SqliteCommand _findContactByEmail;
    private readonly SqliteCommand _findOpenConversation;
    private readonly SqliteCommand _findStickyAgent;
    private readonly SqliteCommand _insertContact;
    private readonly SqliteCommand _updateContact;
    private readonly SqliteCommand _insertIdentity;
    private readonly SqliteCommand _insertConversation;
    private readonly SqliteCommand _updateConversation;
    private readonly SqliteCommand _openPending;
    private readonly SqliteRawStatement _insertMessage;
    private readonly SqliteCommand _moveContact;
    private readonly SqliteCommand _dataVersion;
    private readonly SqliteCommand _findHead;
    private readonly SqliteRawStatement _saveHead;
    private readonly SqliteCommand _allProviderKeys;
    private readonly SqliteCommand _providerKeysAfter;
    private readonly SqliteCommand _lastMessageRow;
    private readonly ProviderKeys _keys;
    private SqliteTransaction? _transaction;
    private SqliteCommand? _findConversation;
    private SqliteCommand? _insertContent;
    private SqliteCommand? _saveReplyContext;
    private SqliteCommand? _bindAttachment;
    private SqliteCommand? _setSubject;
    private SqliteCommand? _insertWebhookEvent;
    private long _dataVersionSeen = -1;
    private bool _changed = true;

    public SqliteInboundStatements(StoreOptions store, StoreDialect dialect, ProviderKeys keys)
    {
        _d = dialect;
        _keys = keys;
        _connection = new SqliteConnection(store.ConnectionString);
        _connection.Open();
        using (var pragmas = _connection.CreateCommand())
        {
            // Commits do not wait for the disk: a durable store's callers wait for LogSync instead. A page cache of
            // 8 MB: SQLite walks the cache's hash table at the end of every write transaction, which took 12% of the
            // writer's time with 64 MB; the pages it misses come from the memory-mapped file. No foreign-key checks
            // on this connection: every row it writes points at a row it has just read or written in the same write
            // transaction, and the checks cost a seek in the parent table's index for every message.
            pragmas.CommandText = SqlitePragmaInterceptor.Pragmas(durable: false) + " PRAGMA cache_size=-8192; PRAGMA foreign_keys=OFF;";
            pragmas.ExecuteNonQuery();
        }

        try
        {
            // Walks the chains of customer messages of the contact's conversations, newest first, comparing keys on the
            // way; a chain stops at the message looked for (a redelivery is usually of a recent one).
            const string found = "(m.\"ProviderKey\" IS @key AND m.\"InstanceId\" IS @instance AND m.\"ProviderMessageId\" IS @provider)";
            _findMessage = Prepare(
                "WITH RECURSIVE chain(\"Id\", \"ConversationId\", \"PreviousInboundId\", \"Found\") AS (" +
                $"SELECT m.\"Id\", m.\"ConversationId\", m.\"PreviousInboundId\", {found} " +
                "FROM \"Conversations\" AS c CROSS JOIN \"InboundHeads\" AS h CROSS JOIN \"Messages\" AS m " +
                "WHERE c.\"ContactId\" = @contact AND h.\"ConversationId\" = c.\"Id\" AND m.\"Id\" = h.\"LastMessageId\" " +
                $"UNION ALL SELECT m.\"Id\", m.\"ConversationId\", m.\"PreviousInboundId\", {found} FROM chain CROSS JOIN \"Messages\" AS m " +
                "WHERE m.\"Id\" = chain.\"PreviousInboundId\" AND NOT chain.\"Found\") " +
                "SELECT \"Id\", \"ConversationId\" FROM chain WHERE \"Found\" LIMIT 1");
            _allProviderKeys = Prepare("SELECT \"ProviderKey\" FROM \"Messages\" WHERE \"ProviderKey\" IS NOT NULL");
            _providerKeysAfter = Prepare("SELECT rowid, \"ProviderKey\" FROM \"Messages\" WHERE rowid > @after");
            _lastMessageRow = Prepare("SELECT coalesce(max(rowid), 0) FROM \"Messages\"");
            _findIdentity = Prepare($"SELECT {Prefixed(ContactColumns, "c")} FROM \"ChannelIdentities\" AS i JOIN \"Contacts\" AS c ON c.\"Id\" = i.\"ContactId\" " +
                "WHERE i.\"InstanceId\" = @instance AND i.\"ExternalId\" = @external");
            _findContactByPhone = Prepare($"SELECT {ContactColumns} FROM \"Contacts\" WHERE \"Phone\" = @key AND \"MergedIntoId\" IS NULL");
            _findContactByEmail = Prepare($"SELECT {ContactColumns} FROM \"Contacts\" WHERE \"Email\" = @key AND \"MergedIntoId\" IS NULL");
            _findOpenConversation = Prepare($"SELECT {ConversationReadColumns} FROM \"Conversations\" WHERE \"ContactId\" = @contact AND \"Status\" <> 2 ORDER BY \"CreatedAt\" DESC LIMIT 1");
            _findStickyAgent = Prepare("SELECT \"AssignedAgentId\" FROM \"Conversations\" WHERE \"ContactId\" = @contact AND \"AssignedAgentId\" IS NOT NULL " +
                "AND \"ClosedAt\" IS NOT NULL AND \"ClosedAt\" >= @since ORDER BY \"ClosedAt\" DESC LIMIT 1");
            _insertContact = Prepare($"INSERT INTO \"Contacts\" ({ContactColumns}) VALUES (@id, @name, @phone, @email, @vip, @exclusive, @created, @dname, @dphone, @demail, @stage)");
            _updateContact = Prepare("UPDATE \"Contacts\" SET \"DisplayName\" = @name, \"Phone\" = @phone, \"Email\" = @email, \"IsVip\" = @vip, \"ExclusiveAgentId\" = @exclusive, " +
                "\"DeclaredName\" = @dname, \"DeclaredPhone\" = @dphone, \"DeclaredEmail\" = @demail WHERE \"Id\" = @id");
            _insertIdentity = Prepare("INSERT INTO \"ChannelIdentities\" (\"Id\", \"ContactId\", \"InstanceId\", \"ExternalId\", \"CreatedAt\") VALUES (@id, @contact, @instance, @external, @created)");
            _insertConversation = Prepare(
                $"INSERT INTO \"Conversations\" ({ConversationColumns}, \"NeedsSupervisor\", \"TransferCount\") " +
                "VALUES (@id, @contact, @status, @skill, @priority, @reason, @language, @tags, @agent, @instance, @external, @created, @last, @step, 0, 0)");
            _updateConversation = Prepare("UPDATE \"Conversations\" SET \"LastInstanceId\" = @instance, \"LastExternalId\" = @external, \"LastMessageAt\" = @last, \"Tags\" = @tags, " +
                "\"SnoozedAt\" = NULL, \"SnoozedUntil\" = NULL WHERE \"Id\" = @id");
            _openPending = Prepare("UPDATE \"Conversations\" SET \"Status\" = @status, \"Skill\" = @skill, \"Priority\" = @priority, \"RoutingReason\" = @reason, " +
                "\"Language\" = @language, \"StepEnteredAt\" = @step, \"LastInstanceId\" = @instance, \"LastExternalId\" = @external, \"LastMessageAt\" = @last, " +
                "\"Tags\" = @tags WHERE \"Id\" = @id AND \"Status\" = 3");
            _insertMessage = new SqliteRawStatement(_connection,
                "INSERT INTO \"Messages\" (\"Id\", \"ConversationId\", \"InstanceId\", \"Direction\", \"Text\", \"Status\", \"ProviderMessageId\", \"ProviderKey\", \"ExternalId\", \"Attempts\", \"CreatedAt\", \"PreviousInboundId\") " +
                "VALUES (?1, ?2, ?3, 0, ?4, 0, ?5, ?6, ?7, 0, ?8, ?9)");
            _moveContact = Prepare(
                "UPDATE \"ChannelIdentities\" SET \"ContactId\" = @into WHERE \"ContactId\" = @from; " +
                "UPDATE \"Conversations\" SET \"ContactId\" = @into WHERE \"ContactId\" = @from; " +
                "DELETE FROM \"Contacts\" WHERE \"Id\" = @from;");
            _dataVersion = Prepare("PRAGMA data_version");
            _findHead = Prepare($"SELECT {HeadColumns} FROM \"InboundHeads\" WHERE \"ConversationId\" = @id");
            _saveHead = new SqliteRawStatement(_connection,
                $"INSERT INTO \"InboundHeads\" ({HeadColumns}) VALUES (?1, ?2, ?3, ?4, ?5) " +
                "ON CONFLICT (\"ConversationId\") DO UPDATE SET \"LastMessageId\" = excluded.\"LastMessageId\", \"LastMessageAt\" = excluded.\"LastMessageAt\", " +
                "\"RunStartId\" = excluded.\"RunStartId\", \"RunStartAt\" = excluded.\"RunStartAt\"");

            // When the writer opens (it opens at start-up, before the first message: a large store's keys take about a
            // second per million messages), and kept by the writer if this connection has to be opened again.
            if (_keys.Filter is null)
            {
                ReadProviderKeys();
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Begin()
    {
        _transaction = _connection.BeginTransaction(deferred: false);
        foreach (var command in _all)
        {
            command.Transaction = _transaction;
        }

        // data_version moves only for other connections' commits; none can commit during this transaction, which
        // holds the write lock from its start.
        using var reader = _dataVersion.ExecuteReader();
        reader.Read();
        var version = reader.GetInt64(0);
        _changed = version != _dataVersionSeen;
        _dataVersionSeen = version;

        // Messages other connections stored since this writer's last commit (another process's writer, an agent's
        // reply) join the filter before anything is looked up in it.
        if (_changed)
        {
            CatchUpProviderKeys();
        }
    }

    public void Commit()
    {
        var lastRow = LastMessageRow();
        _transaction!.Commit();
        _keys.Cover = lastRow;
        _transaction.Dispose();
        _transaction = null;
    }

    public bool NothingChangedSince() => !_changed;

    public void FindIdentities(IReadOnlyCollection<(string Instance, string ExternalId)> keys, Dictionary<(string, string), Contact> found)
    {
        foreach (var key in keys)
        {
            using var reader = Run(_findIdentity, ("@instance", key.Instance), ("@external", key.ExternalId));
            if (reader.Read())
            {
                found[key] = Contact(reader, 0, _d);
            }
        }
    }

    public void FindMessages(IReadOnlyCollection<InboundKey> keys, Dictionary<(string, string), (Guid MessageId, Guid ConversationId)> found)
    {
        foreach (var key in keys)
        {
            if (!_keys.Filter!.MayContain(key.ProviderKey))
            {
                continue;
            }

            using var reader = Run(_findMessage, ("@contact", _d.Id(key.ContactId)), ("@key", key.ProviderKey), ("@instance", key.Instance), ("@provider", key.ProviderId));
            if (reader.Read())
            {
                found[(key.Instance, key.ProviderId)] = (_d.ReadId(reader, 0), _d.ReadId(reader, 1));
            }
        }
    }

    public void FindContactsByKeys(IReadOnlyCollection<string> phones, IReadOnlyCollection<string> emails, Dictionary<string, Contact> byPhone, Dictionary<string, Contact> byEmail)
    {
        foreach (var phone in phones)
        {
            using var reader = Run(_findContactByPhone, ("@key", phone));
            if (reader.Read())
            {
                byPhone[phone] = Contact(reader, 0, _d);
            }
        }

        foreach (var email in emails)
        {
            using var reader = Run(_findContactByEmail, ("@key", email));
            if (reader.Read())
            {
                byEmail[email] = Contact(reader, 0, _d);
            }
        }
    }

    public void FindOpenConversations(IReadOnlyCollection<Guid> contactIds, Dictionary<Guid, Conversation> found)
    {
        foreach (var id in contactIds)
        {
            using var reader = Run(_findOpenConversation, ("@contact", _d.Id(id)));
            if (reader.Read())
            {
                found[id] = Conversation(reader, 0, _d);
            }
        }
    }

    public void FindHeads(IReadOnlyCollection<Guid> conversationIds, Dictionary<Guid, InboundHead> found)
    {
        foreach (var id in conversationIds)
        {
            using var reader = Run(_findHead, ("@id", _d.Id(id)));
            if (reader.Read())
            {
                found[id] = Head(reader, 0, _d);
            }
        }
    }

    public void FindStickyAgents(IReadOnlyCollection<Guid> contactIds, DateTimeOffset since, Dictionary<Guid, Guid> found)
    {
        foreach (var id in contactIds)
        {
            using var reader = Run(_findStickyAgent, ("@contact", _d.Id(id)), ("@since", Ticks(since)));
            if (reader.Read())
            {
                found[id] = _d.ReadId(reader, 0);
            }
        }
    }

    public void InsertContact(Contact c) => Execute(_insertContact,
        ("@id", _d.Id(c.Id)), ("@name", c.DisplayName), ("@phone", c.Phone), ("@email", c.Email), ("@vip", _d.Flag(c.IsVip)),
        ("@exclusive", _d.Id(c.ExclusiveAgentId)), ("@created", Ticks(c.CreatedAt)),
        ("@dname", c.DeclaredName), ("@dphone", c.DeclaredPhone), ("@demail", c.DeclaredEmail), ("@stage", (int)c.OrderStage));

    public void UpdateContact(Contact c) => Execute(_updateContact,
        ("@id", _d.Id(c.Id)), ("@name", c.DisplayName), ("@phone", c.Phone), ("@email", c.Email), ("@vip", _d.Flag(c.IsVip)),
        ("@exclusive", _d.Id(c.ExclusiveAgentId)), ("@dname", c.DeclaredName), ("@dphone", c.DeclaredPhone), ("@demail", c.DeclaredEmail));

    public void InsertIdentity(Guid id, Guid contactId, string instanceId, string externalId, DateTimeOffset created) => Execute(_insertIdentity,
        ("@id", _d.Id(id)), ("@contact", _d.Id(contactId)), ("@instance", instanceId), ("@external", externalId), ("@created", Ticks(created)));

    public void InsertConversation(Conversation c) => Execute(_insertConversation,
        ("@id", _d.Id(c.Id)), ("@contact", _d.Id(c.ContactId)), ("@status", (int)c.Status), ("@skill", c.Skill), ("@priority", c.Priority),
        ("@reason", c.RoutingReason), ("@language", c.Language), ("@tags", c.Tags), ("@agent", _d.Id(c.AssignedAgentId)),
        ("@instance", c.LastInstanceId), ("@external", c.LastExternalId), ("@created", Ticks(c.CreatedAt)), ("@last", Ticks(c.LastMessageAt)),
        ("@step", c.StepEnteredAt is { } step ? Ticks(step) : null));

    public void UpdateConversation(Conversation c) => Execute(_updateConversation,
        ("@id", _d.Id(c.Id)), ("@instance", c.LastInstanceId), ("@external", c.LastExternalId), ("@last", Ticks(c.LastMessageAt)), ("@tags", c.Tags));

    public void OpenPending(Conversation c) => Execute(_openPending,
        ("@id", _d.Id(c.Id)), ("@status", (int)c.Status), ("@skill", c.Skill), ("@priority", c.Priority), ("@reason", c.RoutingReason),
        ("@language", c.Language), ("@step", c.StepEnteredAt is { } step ? Ticks(step) : null), ("@instance", c.LastInstanceId),
        ("@external", c.LastExternalId), ("@last", Ticks(c.LastMessageAt)), ("@tags", c.Tags));

    public void InsertMessage(Message m)
    {
        _insertMessage.Bind(1, m.Id);
        _insertMessage.Bind(2, m.ConversationId);
        _insertMessage.Bind(3, m.InstanceId);
        _insertMessage.Bind(4, m.Text);
        _insertMessage.Bind(5, m.ProviderMessageId);
        _insertMessage.Bind(6, m.ProviderKey);
        _insertMessage.Bind(7, m.ExternalId);
        _insertMessage.Bind(8, Ticks(m.CreatedAt));
        _insertMessage.Bind(9, m.PreviousInboundId);
        _insertMessage.Execute();
        if (m.ProviderKey is { } key)
        {
            // A key of a batch that rolls back stays: one more false positive, never a missed redelivery.
            _keys.Filter!.Add(key);
        }
    }

    public Conversation? FindConversation(Guid id)
    {
        using var reader = Run(Rare(ref _findConversation, $"SELECT {ConversationReadColumns} FROM \"Conversations\" WHERE \"Id\" = @id"), ("@id", _d.Id(id)));
        return reader.Read() ? Conversation(reader, 0, _d) : null;
    }

    public void InsertContent(MessageContent c) => Execute(
        Rare(ref _insertContent,
            "INSERT INTO \"MessageContents\" (\"MessageId\", \"ConversationId\", \"InstanceId\", \"ThreadKey\", \"Subject\", \"Html\", \"References\", \"AutoSubmitted\", " +
            "\"SpeakerId\", \"SpeakerName\", \"UnsupportedKind\", \"UnsupportedSummary\", \"UnsupportedFailed\", " +
            "\"OriginKind\", \"OriginReference\", \"OriginUrl\", \"OriginTitle\") " +
            "VALUES (@message, @conversation, @instance, @key, @subject, @html, @references, @automatic, @speaker, @speakername, @unsupported, @summary, @failed, " +
            "@origin, @originref, @originurl, @origintitle)"),
        ("@message", _d.Id(c.MessageId)), ("@conversation", _d.Id(c.ConversationId)), ("@instance", c.InstanceId), ("@key", c.ThreadKey),
        ("@subject", c.Subject), ("@html", c.Html), ("@references", c.References), ("@automatic", _d.Flag(c.AutoSubmitted)),
        ("@speaker", c.SpeakerId), ("@speakername", c.SpeakerName), ("@unsupported", c.UnsupportedKind), ("@summary", c.UnsupportedSummary),
        ("@failed", _d.Flag(c.UnsupportedFailed)), ("@origin", c.OriginKind), ("@originref", c.OriginReference), ("@originurl", c.OriginUrl), ("@origintitle", c.OriginTitle));

    public void SaveReplyContext(ReplyContextEntry r) => Execute(
        Rare(ref _saveReplyContext,
            "INSERT INTO \"ReplyContexts\" (\"ConversationId\", \"InstanceId\", \"Value\", \"ExpiresAt\", \"SingleUse\", \"MessageId\") " +
            "VALUES (@conversation, @instance, @value, @expires, @single, @message) " +
            "ON CONFLICT (\"ConversationId\", \"InstanceId\") DO UPDATE SET \"Value\" = excluded.\"Value\", \"ExpiresAt\" = excluded.\"ExpiresAt\", " +
            "\"SingleUse\" = excluded.\"SingleUse\", \"MessageId\" = excluded.\"MessageId\""),
        ("@conversation", _d.Id(r.ConversationId)), ("@instance", r.InstanceId), ("@value", r.Value), ("@expires", Ticks(r.ExpiresAt)),
        ("@single", _d.Flag(r.SingleUse)), ("@message", _d.Id(r.MessageId)));

    public void BindAttachment(Guid attachmentId, Guid messageId, Guid conversationId, string instanceId, string? contentId) => Execute(
        Rare(ref _bindAttachment,
            "UPDATE \"Attachments\" SET \"MessageId\" = @message, \"ConversationId\" = @conversation, \"ContentId\" = coalesce(@content, \"ContentId\") " +
            "WHERE \"Id\" = @id AND \"InstanceId\" = @instance AND \"MessageId\" IS NULL"),
        ("@id", _d.Id(attachmentId)), ("@message", _d.Id(messageId)), ("@conversation", _d.Id(conversationId)), ("@instance", instanceId), ("@content", contentId));

    public void SetSubject(Guid conversationId, string subject) => Execute(
        Rare(ref _setSubject, "UPDATE \"Conversations\" SET \"Subject\" = @subject WHERE \"Id\" = @id AND \"Subject\" IS NULL"),
        ("@id", _d.Id(conversationId)), ("@subject", subject));

    public void InsertWebhookEvent(Webhooks.WebhookEvent e) => Execute(
        Rare(ref _insertWebhookEvent,
            "INSERT INTO \"WebhookEvents\" (\"Id\", \"Type\", \"OrderingKey\", \"Payload\", \"CreatedAt\", \"FannedOut\") " +
            "VALUES (@id, @type, @key, @payload, @created, @fanned)"),
        ("@id", _d.Id(e.Id)), ("@type", e.Type), ("@key", _d.Id(e.OrderingKey)), ("@payload", e.Payload), ("@created", Ticks(e.CreatedAt)),
        ("@fanned", _d.Flag(false)));

    /// <summary>A statement most batches never run (rich messages): prepared on first use, in the open transaction.</summary>
    private SqliteCommand Rare(ref SqliteCommand? command, string text)
    {
        if (command is null)
        {
            command = Prepare(text);
            command.Transaction = _transaction;
        }

        return command;
    }

    public void SaveHead(InboundHead h)
    {
        _saveHead.Bind(1, h.ConversationId);
        _saveHead.Bind(2, h.LastMessageId);
        _saveHead.Bind(3, Ticks(h.LastMessageAt));
        _saveHead.Bind(4, h.RunStartId);
        _saveHead.Bind(5, h.RunStartAt is { } since ? Ticks(since) : null);
        _saveHead.Execute();
    }

    public void MoveContact(Guid from, Guid into) => Execute(_moveContact, ("@from", _d.Id(from)), ("@into", _d.Id(into)));

    /// <summary>
    /// A filter of every stored message's key, and the last row it covers. The last row is read first: a row stored
    /// meanwhile is then read twice (harmless), never missed.
    /// </summary>
    private void ReadProviderKeys()
    {
        var lastRow = LastMessageRow();
        var filter = new ProviderKeyFilter(lastRow);
        using (var reader = _allProviderKeys.ExecuteReader())
        {
            while (reader.Read())
            {
                filter.Add(reader.GetInt64(0));
            }
        }

        (_keys.Filter, _keys.Cover) = (filter, lastRow);
    }

    /// <summary>Adds the keys of the rows after the last covered one; reads them all again if the table's rows were renumbered (a VACUUM).</summary>
    private void CatchUpProviderKeys()
    {
        var any = false;
        using (var reader = Run(_providerKeysAfter, ("@after", _keys.Cover)))
        {
            while (reader.Read())
            {
                any = true;
                if (!reader.IsDBNull(1))
                {
                    _keys.Filter!.Add(reader.GetInt64(1));
                }
            }
        }

        if (!any && _keys.Cover > 0 && LastMessageRow() < _keys.Cover)
        {
            ReadProviderKeys();
        }
    }

    private long LastMessageRow()
    {
        using var reader = _lastMessageRow.ExecuteReader();
        reader.Read();
        return reader.GetInt64(0);
    }

    public void Dispose()
    {
        _transaction?.Dispose();
        foreach (var command in _all)
        {
            command.Dispose();
        }

        _insertMessage?.Dispose();
        _saveHead?.Dispose();
        _connection.Dispose();
    }

    private static void Bind(SqliteCommand command, (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            command.Parameters[name].Value = value ?? DBNull.Value;
        }
    }

    private static SqliteDataReader Run(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        Bind(command, values);
        return command.ExecuteReader();
    }

    private static void Execute(SqliteCommand command, params (string Name, object? Value)[] values)
    {
        Bind(command, values);
        command.ExecuteNonQuery();
    }

    private SqliteCommand Prepare(string text)
    {
        var command = _connection.CreateCommand();
        command.CommandText = text;
        foreach (var name in System.Text.RegularExpressions.Regex.Matches(text, @"@[a-z]+").Select(m => m.Value).Distinct())
        {
            command.Parameters.Add(new SqliteParameter(name, null));
        }

        command.Prepare();
        _all.Add(command);
        return command;
    }
}

/// <summary>
/// The provider keys of every stored message, kept by the writer from one connection to the next (reading them
/// takes about a second per million messages), and the last message row they cover.
/// </summary>
internal sealed class ProviderKeys
{
    public ProviderKeyFilter? Filter { get; set; }

    public long Cover { get; set; }
}

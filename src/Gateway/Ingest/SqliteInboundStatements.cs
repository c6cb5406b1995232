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
    private readonly SqliteRawStatement _insertMessage;
    private readonly SqliteCommand _moveContact;
    private readonly SqliteCommand _dataVersion;
    private readonly SqliteCommand _findHead;
    private readonly SqliteRawStatement _saveHead;
    private SqliteTransaction? _transaction;
    private long _dataVersionSeen = -1;
    private bool _changed = true;

    public SqliteInboundStatements(StoreOptions store, StoreDialect dialect)
    {
        _d = dialect;
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
            _findMessage = Prepare("SELECT \"Id\", \"ConversationId\" FROM \"Messages\" WHERE \"InstanceId\" = @instance AND \"ProviderMessageId\" = @provider " +
                "AND \"Direction\" = 0 AND \"ProviderMessageId\" IS NOT NULL");
            _findIdentity = Prepare($"SELECT {Prefixed(ContactColumns, "c")} FROM \"ChannelIdentities\" AS i JOIN \"Contacts\" AS c ON c.\"Id\" = i.\"ContactId\" " +
                "WHERE i.\"InstanceId\" = @instance AND i.\"ExternalId\" = @external");
            _findContactByPhone = Prepare($"SELECT {ContactColumns} FROM \"Contacts\" WHERE \"Phone\" = @key AND \"MergedIntoId\" IS NULL");
            _findContactByEmail = Prepare($"SELECT {ContactColumns} FROM \"Contacts\" WHERE \"Email\" = @key AND \"MergedIntoId\" IS NULL");
            _findOpenConversation = Prepare($"SELECT {ConversationColumns} FROM \"Conversations\" WHERE \"ContactId\" = @contact AND \"Status\" <> 2 ORDER BY \"CreatedAt\" DESC LIMIT 1");
            _findStickyAgent = Prepare("SELECT \"AssignedAgentId\" FROM \"Conversations\" WHERE \"ContactId\" = @contact AND \"AssignedAgentId\" IS NOT NULL " +
                "AND \"ClosedAt\" IS NOT NULL AND \"ClosedAt\" >= @since ORDER BY \"ClosedAt\" DESC LIMIT 1");
            _insertContact = Prepare($"INSERT INTO \"Contacts\" ({ContactColumns}) VALUES (@id, @name, @phone, @email, @vip, @exclusive, @created, @dname, @dphone, @demail)");
            _updateContact = Prepare("UPDATE \"Contacts\" SET \"DisplayName\" = @name, \"Phone\" = @phone, \"Email\" = @email, \"IsVip\" = @vip, \"ExclusiveAgentId\" = @exclusive, " +
                "\"DeclaredName\" = @dname, \"DeclaredPhone\" = @dphone, \"DeclaredEmail\" = @demail WHERE \"Id\" = @id");
            _insertIdentity = Prepare("INSERT INTO \"ChannelIdentities\" (\"Id\", \"ContactId\", \"InstanceId\", \"ExternalId\", \"CreatedAt\") VALUES (@id, @contact, @instance, @external, @created)");
            _insertConversation = Prepare(
                $"INSERT INTO \"Conversations\" ({ConversationColumns}, \"NeedsSupervisor\", \"TransferCount\") " +
                "VALUES (@id, @contact, @status, @skill, @priority, @reason, @language, @tags, @agent, @instance, @external, @created, @last, @step, 0, 0)");
            _updateConversation = Prepare("UPDATE \"Conversations\" SET \"LastInstanceId\" = @instance, \"LastExternalId\" = @external, \"LastMessageAt\" = @last, \"Tags\" = @tags WHERE \"Id\" = @id");
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
    }

    public void Commit()
    {
        _transaction!.Commit();
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

    public void FindMessages(IReadOnlyCollection<(string Instance, string ProviderId)> keys, Dictionary<(string, string), (Guid MessageId, Guid ConversationId)> found)
    {
        foreach (var key in keys)
        {
            using var reader = Run(_findMessage, ("@instance", key.Instance), ("@provider", key.ProviderId));
            if (reader.Read())
            {
                found[key] = (_d.ReadId(reader, 0), _d.ReadId(reader, 1));
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
        ("@dname", c.DeclaredName), ("@dphone", c.DeclaredPhone), ("@demail", c.DeclaredEmail));

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

using ChatGateway.Gateway.Store;
using Npgsql;
using NpgsqlTypes;
using static ChatGateway.Gateway.Ingest.InboundRowReader;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// PostgreSQL's part of the inbound writer. Each read takes the whole batch's keys in one round trip (arrays
/// joined through <c>unnest</c>) and locks the rows the batch will change (<c>FOR UPDATE</c>, in id order, so two
/// instances locking overlapping customers take turns instead of deadlocking); writes are queued and sent as one
/// <see cref="NpgsqlBatch"/> before the next read and at commit, so a batch of messages costs a handful of round
/// trips and one commit (one WAL flush with <c>synchronous_commit=on</c>). Other instances write the same
/// tables at any time, so no row is kept from one batch to the next.
/// </summary>
/// <remarks>
/// The writer is one connection, so its server process's time per batch bounds the gateway's ingest: the reads
/// look each key up through its index (a <c>LATERAL</c> probe per key, which the planner cannot turn into a scan of
/// the whole table hashed against the keys: 2-3 ms a read at 10,000 customers), and consecutive messages and chain
/// heads are written as one multi-row statement each (rows from arrays) instead of a statement per row.
/// </remarks>
internal sealed class PostgreSqlInboundStatements : IInboundStatements
{
    private readonly StoreDialect _d;
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlBatch _writes;
    private readonly List<Message> _messageRun = [];
    private readonly List<InboundHead> _headRun = [];
    private NpgsqlTransaction? _transaction;

    public PostgreSqlInboundStatements(StoreOptions store, StoreDialect dialect)
    {
        _d = dialect;
        _connection = new NpgsqlConnection(StoreDialect.PostgreSqlConnectionString(store));
        _connection.Open();
        _writes = new NpgsqlBatch(_connection);
    }

    public void Begin()
    {
        _transaction = _connection.BeginTransaction(System.Data.IsolationLevel.ReadCommitted);
        _writes.Transaction = _transaction;
        _writes.BatchCommands.Clear();
        _messageRun.Clear();
        _headRun.Clear();
    }

    public void Commit()
    {
        Flush();
        _transaction!.Commit();
        _transaction.Dispose();
        _transaction = null;
    }

    public bool NothingChangedSince() => false;

    public void FindIdentities(IReadOnlyCollection<(string Instance, string ExternalId)> keys, Dictionary<(string, string), Contact> found)
    {
        if (keys.Count == 0)
        {
            return;
        }

        using var command = Command(
            $"SELECT k.instance, k.external, {Prefixed(ContactColumns, "c")} FROM unnest($1::text[], $2::text[]) AS k(instance, external) " +
            "CROSS JOIN LATERAL (SELECT i.\"ContactId\" FROM \"ChannelIdentities\" AS i WHERE i.\"InstanceId\" = k.instance AND i.\"ExternalId\" = k.external LIMIT 1) AS i " +
            "JOIN \"Contacts\" AS c ON c.\"Id\" = i.\"ContactId\" ORDER BY c.\"Id\" FOR UPDATE OF c",
            Texts(keys.Select(k => k.Instance)), Texts(keys.Select(k => k.ExternalId)));
        using var reader = command.ExecuteReader();
        var contacts = new Dictionary<Guid, Contact>();
        while (reader.Read())
        {
            var contact = Contact(reader, 2, _d);
            found[(reader.GetString(0), reader.GetString(1))] = contacts.TryGetValue(contact.Id, out var same) ? same : contacts[contact.Id] = contact;
        }
    }

    public void FindMessages(IReadOnlyCollection<InboundKey> keys, Dictionary<(string, string), (Guid MessageId, Guid ConversationId)> found)
    {
        if (keys.Count == 0)
        {
            return;
        }

        using var command = Command(
            "SELECT k.instance, k.provider, m.\"Id\", m.\"ConversationId\" FROM unnest($1::text[], $2::text[]) AS k(instance, provider) " +
            "CROSS JOIN LATERAL (SELECT m.\"Id\", m.\"ConversationId\" FROM \"Messages\" AS m WHERE m.\"InstanceId\" = k.instance AND m.\"ProviderMessageId\" = k.provider " +
            "AND m.\"Direction\" = 0 AND m.\"ProviderMessageId\" IS NOT NULL LIMIT 1) AS m",
            Texts(keys.Select(k => k.Instance)), Texts(keys.Select(k => k.ProviderId)));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            found[(reader.GetString(0), reader.GetString(1))] = (reader.GetGuid(2), reader.GetGuid(3));
        }
    }

    public void FindContactsByKeys(IReadOnlyCollection<string> phones, IReadOnlyCollection<string> emails, Dictionary<string, Contact> byPhone, Dictionary<string, Contact> byEmail)
    {
        foreach (var (keys, column, into) in new[] { (phones, "Phone", byPhone), (emails, "Email", byEmail) })
        {
            if (keys.Count == 0)
            {
                continue;
            }

            using var command = Command(
                $"SELECT {ContactColumns} FROM \"Contacts\" WHERE \"{column}\" = ANY($1) AND \"MergedIntoId\" IS NULL ORDER BY \"Id\" FOR UPDATE",
                Texts(keys));
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                var contact = Contact(reader, 0, _d);
                into[(column == "Phone" ? contact.Phone : contact.Email)!] = contact;
            }
        }
    }

    public void FindOpenConversations(IReadOnlyCollection<Guid> contactIds, Dictionary<Guid, Conversation> found)
    {
        if (contactIds.Count == 0)
        {
            return;
        }

        using var command = Command(
            $"SELECT o.* FROM unnest($1::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT {ConversationReadColumns} FROM \"Conversations\" " +
            "WHERE \"ContactId\" = k.id AND \"Status\" <> 2 ORDER BY \"CreatedAt\" DESC LIMIT 1) AS o",
            Ids(contactIds));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var conversation = Conversation(reader, 0, _d);
            found[conversation.ContactId] = conversation;
        }
    }

    public void FindHeads(IReadOnlyCollection<Guid> conversationIds, Dictionary<Guid, InboundHead> found)
    {
        if (conversationIds.Count == 0)
        {
            return;
        }

        using var command = Command(
            $"SELECT {HeadColumns} FROM \"InboundHeads\" WHERE \"ConversationId\" = ANY($1) ORDER BY \"ConversationId\" FOR UPDATE",
            Ids(conversationIds));
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var head = Head(reader, 0, _d);
            found[head.ConversationId] = head;
        }
    }

    public void FindStickyAgents(IReadOnlyCollection<Guid> contactIds, DateTimeOffset since, Dictionary<Guid, Guid> found)
    {
        if (contactIds.Count == 0)
        {
            return;
        }

        using var command = Command(
            "SELECT k.id, s.\"AssignedAgentId\" FROM unnest($1::uuid[]) AS k(id) CROSS JOIN LATERAL (SELECT \"AssignedAgentId\" FROM \"Conversations\" " +
            "WHERE \"ContactId\" = k.id AND \"AssignedAgentId\" IS NOT NULL AND \"ClosedAt\" IS NOT NULL AND \"ClosedAt\" >= $2 ORDER BY \"ClosedAt\" DESC LIMIT 1) AS s",
            Ids(contactIds), new NpgsqlParameter<long> { TypedValue = Ticks(since) });
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            found[reader.GetGuid(0)] = reader.GetGuid(1);
        }
    }

    public void InsertContact(Contact c) => Write(
        $"INSERT INTO \"Contacts\" ({ContactColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        c.Id, c.DisplayName, c.Phone, c.Email, c.IsVip, c.ExclusiveAgentId, Ticks(c.CreatedAt), c.DeclaredName, c.DeclaredPhone, c.DeclaredEmail, (int)c.OrderStage);

    public void UpdateContact(Contact c) => Write(
        "UPDATE \"Contacts\" SET \"DisplayName\" = $2, \"Phone\" = $3, \"Email\" = $4, \"IsVip\" = $5, \"ExclusiveAgentId\" = $6, " +
        "\"DeclaredName\" = $7, \"DeclaredPhone\" = $8, \"DeclaredEmail\" = $9 WHERE \"Id\" = $1",
        c.Id, c.DisplayName, c.Phone, c.Email, c.IsVip, c.ExclusiveAgentId, c.DeclaredName, c.DeclaredPhone, c.DeclaredEmail);

    public void InsertIdentity(Guid id, Guid contactId, string instanceId, string externalId, DateTimeOffset created) => Write(
        "INSERT INTO \"ChannelIdentities\" (\"Id\", \"ContactId\", \"InstanceId\", \"ExternalId\", \"CreatedAt\") VALUES ($1, $2, $3, $4, $5)",
        id, contactId, instanceId, externalId, Ticks(created));

    public void InsertConversation(Conversation c) => Write(
        $"INSERT INTO \"Conversations\" ({ConversationColumns}, \"NeedsSupervisor\", \"TransferCount\") " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, false, 0)",
        c.Id, c.ContactId, (int)c.Status, c.Skill, c.Priority, c.RoutingReason, c.Language, c.Tags, c.AssignedAgentId,
        c.LastInstanceId, c.LastExternalId, Ticks(c.CreatedAt), Ticks(c.LastMessageAt), c.StepEnteredAt is { } step ? Ticks(step) : null);

    public void UpdateConversation(Conversation c) => Write(
        "UPDATE \"Conversations\" SET \"LastInstanceId\" = $2, \"LastExternalId\" = $3, \"LastMessageAt\" = $4, \"Tags\" = $5, \"SnoozedAt\" = NULL, \"SnoozedUntil\" = NULL WHERE \"Id\" = $1",
        c.Id, c.LastInstanceId, c.LastExternalId, Ticks(c.LastMessageAt), c.Tags);

    public void OpenPending(Conversation c) => Write(
        "UPDATE \"Conversations\" SET \"Status\" = $2, \"Skill\" = $3, \"Priority\" = $4, \"RoutingReason\" = $5, \"Language\" = $6, " +
        "\"StepEnteredAt\" = $7, \"LastInstanceId\" = $8, \"LastExternalId\" = $9, \"LastMessageAt\" = $10, \"Tags\" = $11 WHERE \"Id\" = $1 AND \"Status\" = 3",
        c.Id, (int)c.Status, c.Skill, c.Priority, c.RoutingReason, c.Language, c.StepEnteredAt is { } step ? Ticks(step) : null,
        c.LastInstanceId, c.LastExternalId, Ticks(c.LastMessageAt), c.Tags);

    /// <summary>Joins the run of messages written next, as one statement (<see cref="EndRuns"/>).</summary>
    public void InsertMessage(Message m)
    {
        if (_headRun.Count > 0)
        {
            EndRuns();
        }

        _messageRun.Add(m);
    }

    /// <summary>Joins the run of heads written next, as one statement; a second save of one head in a run starts a new one.</summary>
    public void SaveHead(InboundHead h)
    {
        if (_messageRun.Count > 0 || _headRun.Exists(other => other.ConversationId == h.ConversationId))
        {
            EndRuns();
        }

        _headRun.Add(h);
    }

    public Conversation? FindConversation(Guid id)
    {
        using var command = Command($"SELECT {ConversationReadColumns} FROM \"Conversations\" WHERE \"Id\" = $1 FOR UPDATE", Parameter(id));
        using var reader = command.ExecuteReader();
        return reader.Read() ? Conversation(reader, 0, _d) : null;
    }

    public void InsertContent(MessageContent c) => Write(
        "INSERT INTO \"MessageContents\" (\"MessageId\", \"ConversationId\", \"InstanceId\", \"ThreadKey\", \"Subject\", \"Html\", \"References\", \"AutoSubmitted\", " +
        "\"SpeakerId\", \"SpeakerName\", \"UnsupportedKind\", \"UnsupportedSummary\", \"UnsupportedFailed\", " +
        "\"OriginKind\", \"OriginReference\", \"OriginUrl\", \"OriginTitle\") " +
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        c.MessageId, c.ConversationId, c.InstanceId, c.ThreadKey, c.Subject, c.Html, c.References, c.AutoSubmitted,
        c.SpeakerId, c.SpeakerName, c.UnsupportedKind, c.UnsupportedSummary, c.UnsupportedFailed,
        c.OriginKind, c.OriginReference, c.OriginUrl, c.OriginTitle);

    public void SaveReplyContext(ReplyContextEntry r) => Write(
        "INSERT INTO \"ReplyContexts\" (\"ConversationId\", \"InstanceId\", \"Value\", \"ExpiresAt\", \"SingleUse\", \"MessageId\") " +
        "VALUES ($1, $2, $3, $4, $5, $6) " +
        "ON CONFLICT (\"ConversationId\", \"InstanceId\") DO UPDATE SET \"Value\" = excluded.\"Value\", \"ExpiresAt\" = excluded.\"ExpiresAt\", " +
        "\"SingleUse\" = excluded.\"SingleUse\", \"MessageId\" = excluded.\"MessageId\"",
        r.ConversationId, r.InstanceId, r.Value, Ticks(r.ExpiresAt), r.SingleUse, r.MessageId);

    public void BindAttachment(Guid attachmentId, Guid messageId, Guid conversationId, string instanceId, string? contentId) => Write(
        "UPDATE \"Attachments\" SET \"MessageId\" = $2, \"ConversationId\" = $3, \"ContentId\" = coalesce($5, \"ContentId\") " +
        "WHERE \"Id\" = $1 AND \"InstanceId\" = $4 AND \"MessageId\" IS NULL",
        attachmentId, messageId, conversationId, instanceId, (object?)contentId ?? DBNull.Value);

    public void SetSubject(Guid conversationId, string subject) => Write(
        "UPDATE \"Conversations\" SET \"Subject\" = $2 WHERE \"Id\" = $1 AND \"Subject\" IS NULL", conversationId, subject);

    public void InsertWebhookEvent(Webhooks.WebhookEvent e) => Write(
        "INSERT INTO \"WebhookEvents\" (\"Id\", \"Type\", \"OrderingKey\", \"Payload\", \"CreatedAt\", \"FannedOut\") VALUES ($1, $2, $3, $4, $5, false)",
        e.Id, e.Type, e.OrderingKey, e.Payload, Ticks(e.CreatedAt));

    public void MoveContact(Guid from, Guid into)
    {
        Write("UPDATE \"ChannelIdentities\" SET \"ContactId\" = $2 WHERE \"ContactId\" = $1", from, into);
        Write("UPDATE \"Conversations\" SET \"ContactId\" = $2 WHERE \"ContactId\" = $1", from, into);
        Write("DELETE FROM \"Contacts\" WHERE \"Id\" = $1", from);
    }

    public void Dispose()
    {
        _transaction?.Dispose();
        _writes.Dispose();
        _connection.Dispose();
    }

    /// <summary>Sends the queued writes (a read may depend on them; the commit needs them).</summary>
    private void Flush()
    {
        EndRuns();
        if (_writes.BatchCommands.Count == 0)
        {
            return;
        }

        _writes.ExecuteNonQuery();
        _writes.BatchCommands.Clear();
    }

    /// <summary>
    /// Queues the pending run of messages or heads as one multi-row INSERT (rows from arrays, in order), where
    /// its rows' turn is: after the writes queued before them, before those queued after.
    /// </summary>
    private void EndRuns()
    {
        if (_messageRun.Count > 0)
        {
            var m = _messageRun;
            Queue(
                "INSERT INTO \"Messages\" (\"Id\", \"ConversationId\", \"InstanceId\", \"Direction\", \"Text\", \"Status\", \"ProviderMessageId\", \"ProviderKey\", \"ExternalId\", \"Attempts\", \"CreatedAt\", \"PreviousInboundId\") " +
                "SELECT id, conversation, instance, 0, text, 0, provider, key, external, 0, created, previous " +
                "FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::bigint[], $9::uuid[]) " +
                "AS r(id, conversation, instance, text, provider, key, external, created, previous)",
                Array(NpgsqlDbType.Uuid, m.Select(x => x.Id)), Array(NpgsqlDbType.Uuid, m.Select(x => x.ConversationId)),
                Array(NpgsqlDbType.Text, m.Select(x => x.InstanceId)), Array(NpgsqlDbType.Text, m.Select(x => x.Text)),
                Array(NpgsqlDbType.Text, m.Select(x => x.ProviderMessageId)), Array(NpgsqlDbType.Bigint, m.Select(x => x.ProviderKey)),
                Array(NpgsqlDbType.Text, m.Select(x => x.ExternalId)), Array(NpgsqlDbType.Bigint, m.Select(x => Ticks(x.CreatedAt))),
                Array(NpgsqlDbType.Uuid, m.Select(x => x.PreviousInboundId)));
            _messageRun.Clear();
        }

        if (_headRun.Count > 0)
        {
            var h = _headRun;
            Queue(
                $"INSERT INTO \"InboundHeads\" ({HeadColumns}) SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::uuid[], $5::bigint[]) " +
                "ON CONFLICT (\"ConversationId\") DO UPDATE SET \"LastMessageId\" = excluded.\"LastMessageId\", \"LastMessageAt\" = excluded.\"LastMessageAt\", " +
                "\"RunStartId\" = excluded.\"RunStartId\", \"RunStartAt\" = excluded.\"RunStartAt\"",
                Array(NpgsqlDbType.Uuid, h.Select(x => x.ConversationId)), Array(NpgsqlDbType.Uuid, h.Select(x => x.LastMessageId)),
                Array(NpgsqlDbType.Bigint, h.Select(x => Ticks(x.LastMessageAt))), Array(NpgsqlDbType.Uuid, h.Select(x => x.RunStartId)),
                Array(NpgsqlDbType.Bigint, h.Select(x => x.RunStartAt is { } since ? Ticks(since) : (long?)null)));
            _headRun.Clear();
        }
    }

    private void Queue(string sql, params NpgsqlParameter[] parameters)
    {
        var command = new NpgsqlBatchCommand(sql);
        command.Parameters.AddRange(parameters);
        _writes.BatchCommands.Add(command);
    }

    private void Write(string sql, params object?[] values)
    {
        EndRuns();
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values)
        {
            command.Parameters.Add(Parameter(value));
        }

        _writes.BatchCommands.Add(command);
    }

    private NpgsqlCommand Command(string sql, params NpgsqlParameter[] parameters)
    {
        Flush();
        var command = new NpgsqlCommand(sql, _connection, _transaction);
        command.Parameters.AddRange(parameters);
        return command;
    }

    private static NpgsqlParameter Parameter(object? value) => new() { Value = value ?? DBNull.Value };

    private static NpgsqlParameter Texts(IEnumerable<string> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text, Value = values.ToArray() };

    private static NpgsqlParameter Array<T>(NpgsqlDbType type, IEnumerable<T> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | type, Value = values.ToArray() };

    private static NpgsqlParameter Ids(IEnumerable<Guid> values) =>
        new() { NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid, Value = values.ToArray() };
}

using System.Text;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// Reads a conversation's messages. Replies and notes are found through the conversation index
/// (<c>IX_Messages_ConversationId_CreatedAt</c>, which holds no customer message); the customer's messages
/// along their chain (<see cref="Message.PreviousInboundId"/>), newest first from the conversation's
/// <see cref="InboundHead"/>, one seek by id per message. An index of every message by conversation cost
/// ingest a random page of the store per message (the end of its conversation's run); the chain costs it a
/// column of the row it writes anyway and one small row per conversation per batch.
/// </summary>
internal static class ConversationMessages
{
    /// <summary>
    /// The customer messages of the conversations, newest first across them (in the order they were stored
    /// when they share a time; callers sort stably), at most <paramref name="limit"/> when it is given.
    /// </summary>
    public static async Task<List<Message>> InboundAsync(
        GatewayDbContext db, IReadOnlyCollection<Guid> conversationIds, int? limit, CancellationToken cancellationToken)
    {
        if (conversationIds.Count == 0 || limit <= 0)
        {
            return [];
        }

        var postgres = db.Database.IsNpgsql();
        var parameters = new List<object>();
        var ids = new StringBuilder();
        foreach (var id in conversationIds)
        {
            var name = "@c" + parameters.Count;
            ids.Append(ids.Length == 0 ? name : ", " + name);
            parameters.Add(postgres ? new Npgsql.NpgsqlParameter(name, id) : new SqliteParameter(name, StoredValues.Text(id)));
        }

        var deeper = "";
        var bound = "";
        if (limit is { } most)
        {
            // Each chain is newest first, so the newest messages across conversations are among the first
            // `limit` of each chain: no chain is walked further.
            deeper = " AND chain.\"Depth\" < @limit - 1";
            bound = " LIMIT @limit";
            parameters.Add(postgres ? new Npgsql.NpgsqlParameter("@limit", most) : new SqliteParameter("@limit", most));
        }

        // Messages stored in one batch share their time: their place in the chain (Depth) orders them. The same
        // SQL on SQLite and PostgreSQL. CROSS JOIN keeps the chain as the outer loop on SQLite.
        var sql =
            "WITH RECURSIVE chain(\"Id\", \"CreatedAt\", \"PreviousInboundId\", \"Depth\") AS (" +
            "SELECT m.\"Id\", m.\"CreatedAt\", m.\"PreviousInboundId\", 0 FROM \"InboundHeads\" AS h CROSS JOIN \"Messages\" AS m " +
            $"WHERE h.\"ConversationId\" IN ({ids}) AND m.\"Id\" = h.\"LastMessageId\" " +
            "UNION ALL " +
            "SELECT m.\"Id\", m.\"CreatedAt\", m.\"PreviousInboundId\", chain.\"Depth\" + 1 FROM chain CROSS JOIN \"Messages\" AS m " +
            $"WHERE m.\"Id\" = chain.\"PreviousInboundId\"{deeper}) " +
            $"SELECT m.* FROM chain CROSS JOIN \"Messages\" AS m WHERE m.\"Id\" = chain.\"Id\" ORDER BY chain.\"CreatedAt\" DESC, chain.\"Depth\"{bound}";
        // Not composed further, so the rows come in the query's order.
        return await db.Messages.FromSqlRaw(sql, parameters.ToArray()).AsNoTracking().ToListAsync(cancellationToken);
    }

    /// <summary>
    /// How many customer messages of each conversation came after its agent's read mark (<see cref="Conversation.AgentReadAt"/>),
    /// at most <paramref name="cap"/>: a walk down each chain from its head that stops at the first message read, or after
    /// <paramref name="cap"/> messages. Conversations with none unread are left out.
    /// </summary>
    public static async Task<Dictionary<Guid, int>> UnreadAsync(
        GatewayDbContext db, IReadOnlyCollection<Guid> conversationIds, int cap, CancellationToken cancellationToken)
    {
        if (conversationIds.Count == 0 || cap <= 0)
        {
            return [];
        }

        var postgres = db.Database.IsNpgsql();
        var parameters = new List<object>();
        var ids = new StringBuilder();
        foreach (var id in conversationIds)
        {
            var name = "@c" + parameters.Count;
            ids.Append(ids.Length == 0 ? name : ", " + name);
            parameters.Add(postgres ? new Npgsql.NpgsqlParameter(name, id) : new SqliteParameter(name, StoredValues.Text(id)));
        }

        parameters.Add(postgres ? new Npgsql.NpgsqlParameter("@cap", cap) : new SqliteParameter("@cap", cap));
        var sql =
            "WITH RECURSIVE chain(\"ConversationId\", \"PreviousInboundId\", \"ReadAt\", \"Depth\") AS (" +
            "SELECT h.\"ConversationId\", m.\"PreviousInboundId\", c.\"AgentReadAt\", 1 " +
            "FROM \"InboundHeads\" AS h CROSS JOIN \"Conversations\" AS c CROSS JOIN \"Messages\" AS m " +
            $"WHERE h.\"ConversationId\" IN ({ids}) AND c.\"Id\" = h.\"ConversationId\" AND m.\"Id\" = h.\"LastMessageId\" " +
            "AND (c.\"AgentReadAt\" IS NULL OR m.\"CreatedAt\" > c.\"AgentReadAt\") " +
            "UNION ALL " +
            "SELECT chain.\"ConversationId\", m.\"PreviousInboundId\", chain.\"ReadAt\", chain.\"Depth\" + 1 FROM chain CROSS JOIN \"Messages\" AS m " +
            "WHERE m.\"Id\" = chain.\"PreviousInboundId\" AND chain.\"Depth\" < @cap AND (chain.\"ReadAt\" IS NULL OR m.\"CreatedAt\" > chain.\"ReadAt\")) " +
            "SELECT \"ConversationId\", COUNT(*) AS \"Count\" FROM chain GROUP BY \"ConversationId\"";
        var rows = await db.Database.SqlQueryRaw<UnreadRow>(sql, parameters.ToArray()).ToListAsync(cancellationToken);
        return rows.ToDictionary(r => r.ConversationId, r => (int)Math.Min(r.Count, cap));
    }

    /// <summary>A row of <see cref="UnreadAsync"/>.</summary>
    internal sealed class UnreadRow
    {
        public Guid ConversationId { get; set; }
        public long Count { get; set; }
    }

    /// <summary>The conversation's replies and notes, through the conversation index.</summary>
    public static IQueryable<Message> Others(GatewayDbContext db, Guid conversationId) =>
        db.Messages.Where(m => m.ConversationId == conversationId && m.Direction != MessageDirection.In);

    /// <summary>The time of the conversation's newest message of any kind (two seeks), null for none.</summary>
    public static async Task<DateTimeOffset?> LastMessageAtAsync(GatewayDbContext db, Guid conversationId, CancellationToken cancellationToken)
    {
        var inbound = await LastInboundAt(db, conversationId).FirstOrDefaultAsync(cancellationToken);
        var other = await LastOtherAt(db, conversationId).FirstOrDefaultAsync(cancellationToken);
        return Latest(inbound, other);
    }

    /// <summary>The time of the conversation's newest customer message (a query to inline in a projection).</summary>
    public static IQueryable<DateTimeOffset?> LastInboundAt(GatewayDbContext db, Guid conversationId) =>
        db.InboundHeads.Where(h => h.ConversationId == conversationId).Select(h => (DateTimeOffset?)h.LastMessageAt);

    /// <summary>The time of the conversation's newest reply or note (a query to inline in a projection).</summary>
    public static IQueryable<DateTimeOffset?> LastOtherAt(GatewayDbContext db, Guid conversationId) =>
        Others(db, conversationId).OrderByDescending(m => m.CreatedAt).Select(m => (DateTimeOffset?)m.CreatedAt);

    public static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a > b ? a : b;
}

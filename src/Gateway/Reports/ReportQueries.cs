using System.Data.Common;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ChatGateway.Gateway.Reports;

/// <summary>What a report groups its rows by.</summary>
internal enum ReportGrouping { Agent, Skill, Channel, Day, Hour }

/// <summary>A report's range (UTC instants, end excluded), grouping and filters.</summary>
internal sealed record ReportRequest(
    DateTimeOffset From, DateTimeOffset To, ReportGrouping GroupBy, string? Channel, string? Skill, Guid? AgentId, TimeSpan ResponseTarget, DateTimeOffset Now);

/// <summary>
/// The report's sums, aggregated by the store (the same SQL on SQLite and PostgreSQL): the rows that come back are one
/// per group (per 15 minutes of UTC for days and hours, folded into the shop's days and hours by the caller), never one
/// per message. Times are the stored integers (<see cref="DateTimeOffsetToBinaryConverter"/>: the time in units of
/// 100 µs shifted left by 11 bits over the offset, always UTC here), so <c>x &gt;&gt; 11</c> is a time both engines can
/// subtract.
/// </summary>
internal sealed class ReportQueries(IDbContextFactory<GatewayDbContext> dbFactory)
{
    /// <summary>Stored time units (100 µs) per second.</summary>
    public const long UnitsPerSecond = 10_000;

    /// <summary>The width of a time bucket, in stored units: 15 minutes, so every shop's offset from UTC falls on one.</summary>
    public const long BucketUnits = 15 * 60 * UnitsPerSecond;

    private static readonly DateTimeOffsetToBinaryConverter Converter = new();

    /// <summary>How far before the range customer messages are read, to tell a turn begun before it (one unanswered longer is taken as begun at its first message in the range).</summary>
    private static readonly TimeSpan ScanBefore = TimeSpan.FromDays(1);

    /// <summary>The start of a bucket a query returned, UTC.</summary>
    public static DateTimeOffset BucketStart(long bucket) => new(bucket * BucketUnits * 1000, TimeSpan.Zero);

    /// <summary>The sums per group key: an agent's id, a skill, a channel instance, or a bucket number (days and hours).</summary>
    public async Task<Dictionary<string, CounterSums>> SumAsync(ReportRequest request, CancellationToken cancellationToken)
    {
        await using var db = await dbFactory.CreateDbContextAsync(cancellationToken);
        var postgres = db.Database.IsNpgsql();
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync(cancellationToken);
        var sums = new Dictionary<string, CounterSums>(StringComparer.Ordinal);
        foreach (var sql in new[] { TurnsSql, ConversationsSql, FollowUpsSql, OverridesSql })
        {
            await using var command = connection.CreateCommand();
            command.CommandText = sql.Replace("{key}", KeyOf(request.GroupBy), StringComparison.Ordinal)
                .Replace("{filters}", Filters(request), StringComparison.Ordinal);
            AddParameters(command, request, postgres);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            var counters = Enumerable.Range(1, reader.FieldCount - 1).Select(i => (Ordinal: i, Counter: Enum.Parse<Counter>(reader.GetName(i), ignoreCase: true))).ToList();
            while (await reader.ReadAsync(cancellationToken))
            {
                var key = KeyText(reader.GetValue(0), request.GroupBy);
                if (!sums.TryGetValue(key, out var row))
                {
                    sums[key] = row = new CounterSums();
                }

                foreach (var (ordinal, counter) in counters)
                {
                    row[counter] += reader.IsDBNull(ordinal) ? 0 : Convert.ToInt64(reader.GetValue(ordinal), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
        }

        return sums;
    }

    private static string KeyOf(ReportGrouping groupBy) => groupBy switch
    {
        ReportGrouping.Agent => "x.\"AgentId\"",
        ReportGrouping.Skill => "x.\"Skill\"",
        ReportGrouping.Channel => "x.\"InstanceId\"",
        _ => $"(x.\"StartAt\" >> 11) / {BucketUnits}",
    };

    private static string Filters(ReportRequest request) =>
        (request.Channel is null ? "" : " AND x.\"InstanceId\" = @channel")
        + (request.Skill is null ? "" : " AND x.\"Skill\" = @skill")
        + (request.AgentId is null ? "" : " AND x.\"AgentId\" = @agent");

    private static void AddParameters(DbCommand command, ReportRequest request, bool postgres)
    {
        void Add(string name, object value)
        {
            var p = command.CreateParameter();
            p.ParameterName = name;
            p.Value = value;
            command.Parameters.Add(p);
        }

        Add("@from", Stored(request.From));
        Add("@scanFrom", Stored(request.From - ScanBefore));
        Add("@to", Stored(request.To));
        Add("@target", request.ResponseTarget.Ticks / 1000);
        // An unanswered turn is judged once it has waited the target: before that it may still be answered in time.
        Add("@judged", Stored(request.Now - request.ResponseTarget));
        if (request.Channel is not null)
        {
            Add("@channel", request.Channel);
        }

        if (request.Skill is not null)
        {
            Add("@skill", request.Skill);
        }

        if (request.AgentId is { } agent)
        {
            Add("@agent", postgres ? agent : StoredValues.Text(agent));
        }
    }

    private static long Stored(DateTimeOffset at) => (long)Converter.ConvertToProvider(at.ToUniversalTime())!;

    private static string KeyText(object value, ReportGrouping groupBy) => value switch
    {
        DBNull => "",
        Guid id => id.ToString("D"),
        string text when groupBy == ReportGrouping.Agent && Guid.TryParse(text, out var id) => id.ToString("D"),
        string text => text,
        _ => Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// The customers' turns: a turn is a customer's messages up to the agent's reply that answers them (the first reply
    /// by an agent at or after them; automatic replies, follow-ups and notes are no answer), timed from its first
    /// message. One pass over the messages (inbound ones of the range and the day before it, so that a turn begun before
    /// the range is not counted as begun inside it), each finding its answer by one seek in <c>IX_Messages_Replies</c>
    /// (materialised, so once). A pass beats walking the conversations' chains of customer messages, which costs a
    /// random seek per message: a month of a million messages takes seconds. A turn with no answer counts only while its
    /// conversation is open and once it has waited the target (a closed conversation's last "thank you" asks for nothing).
    /// </summary>
    private const string TurnsSql = """
        WITH inbound AS MATERIALIZED (
          SELECT m."ConversationId", m."CreatedAt", m."PreviousInboundId", m."InstanceId",
            (SELECT MIN(r."CreatedAt") FROM "Messages" AS r
              WHERE r."ConversationId" = m."ConversationId" AND r."Direction" = 1 AND r."AgentId" IS NOT NULL AND r."CreatedAt" >= m."CreatedAt") AS "ReplyAt"
          FROM "Messages" AS m
          WHERE m."Direction" = 0 AND m."CreatedAt" >= @scanFrom AND m."CreatedAt" < @to),
        turns AS (
          SELECT "ConversationId", "ReplyAt", MIN("CreatedAt") AS "StartAt", MIN("InstanceId") AS "InstanceId",
            MAX(CASE WHEN "PreviousInboundId" IS NULL THEN 1 ELSE 0 END) AS "First"
          FROM inbound GROUP BY "ConversationId", "ReplyAt")
        SELECT {key} AS "Key",
          COUNT(*) AS "Turns",
          SUM(CASE WHEN x."ReplyAt" IS NOT NULL THEN 1 ELSE 0 END) AS "Answered",
          SUM(CASE WHEN x."ReplyAt" IS NOT NULL THEN (x."ReplyAt" >> 11) - (x."StartAt" >> 11) ELSE 0 END) AS "ResponseSum",
          SUM(CASE WHEN x."ReplyAt" IS NOT NULL AND (x."ReplyAt" >> 11) - (x."StartAt" >> 11) <= @target THEN 1 ELSE 0 END) AS "InTarget",
          SUM(x."First") AS "FirstTurns",
          SUM(CASE WHEN x."First" = 1 AND x."ReplyAt" IS NOT NULL THEN 1 ELSE 0 END) AS "FirstAnswered",
          SUM(CASE WHEN x."First" = 1 AND x."ReplyAt" IS NOT NULL THEN (x."ReplyAt" >> 11) - (x."StartAt" >> 11) ELSE 0 END) AS "FirstResponseSum",
          SUM(CASE WHEN x."First" = 1 AND x."ReplyAt" IS NOT NULL AND (x."ReplyAt" >> 11) - (x."StartAt" >> 11) <= @target THEN 1 ELSE 0 END) AS "FirstInTarget"
        FROM (
          SELECT t."StartAt", t."ReplyAt", t."First", t."InstanceId", c."Skill",
            COALESCE((SELECT r."AgentId" FROM "Messages" AS r
              WHERE r."ConversationId" = t."ConversationId" AND r."Direction" = 1 AND r."AgentId" IS NOT NULL AND r."CreatedAt" = t."ReplyAt" LIMIT 1),
              c."AssignedAgentId") AS "AgentId"
          FROM turns AS t CROSS JOIN "Conversations" AS c
          WHERE c."Id" = t."ConversationId" AND t."StartAt" >= @from AND t."StartAt" < @to
            AND (t."ReplyAt" IS NOT NULL OR (c."Status" IN (0, 1) AND t."StartAt" <= @judged))) AS x
        WHERE 1 = 1{filters}
        GROUP BY 1
        """;

    /// <summary>
    /// The conversations opened in the range that a customer wrote in (gateway-opened ones they never answered are
    /// not), for the closing agent (else the assigned one). The wait before assignment counts only conversations never
    /// passed on: a transfer or requeue moves <see cref="Conversation.AssignedAt"/>.
    /// </summary>
    private const string ConversationsSql = """
        SELECT {key} AS "Key",
          COUNT(*) AS "Conversations",
          SUM(CASE WHEN x."AssignedAt" IS NOT NULL AND x."TransferCount" = 0 THEN 1 ELSE 0 END) AS "Assigned",
          SUM(CASE WHEN x."AssignedAt" IS NOT NULL AND x."TransferCount" = 0 THEN (x."AssignedAt" >> 11) - (x."StartAt" >> 11) ELSE 0 END) AS "WaitSum",
          SUM(CASE WHEN x."ClosedAt" IS NOT NULL THEN 1 ELSE 0 END) AS "Closed",
          SUM(CASE WHEN x."ClosedAt" IS NOT NULL THEN (x."ClosedAt" >> 11) - (x."StartAt" >> 11) ELSE 0 END) AS "ResolutionSum",
          SUM(CASE WHEN x."ClosedAt" IS NOT NULL AND x."AssignedAt" IS NOT NULL THEN 1 ELSE 0 END) AS "Handled",
          SUM(CASE WHEN x."ClosedAt" IS NOT NULL AND x."AssignedAt" IS NOT NULL THEN (x."ClosedAt" >> 11) - (x."AssignedAt" >> 11) ELSE 0 END) AS "HandlingSum",
          SUM(x."TransferCount") AS "Transfers",
          SUM(CASE WHEN x."TransferCount" > 0 THEN 1 ELSE 0 END) AS "Transferred",
          SUM(CASE WHEN x."SurveyRating" IS NOT NULL THEN 1 ELSE 0 END) AS "Rated",
          SUM(CASE WHEN x."SurveyRating" IS NOT NULL THEN x."SurveyRating" ELSE 0 END) AS "RatingSum",
          SUM(CASE WHEN x."SurveyRating" >= 4 THEN 1 ELSE 0 END) AS "Satisfied"
        FROM (
          SELECT c."CreatedAt" AS "StartAt", c."AssignedAt", c."ClosedAt", c."TransferCount", c."SurveyRating", c."Skill",
            c."LastInstanceId" AS "InstanceId", COALESCE(c."ClosedByAgentId", c."AssignedAgentId") AS "AgentId"
          FROM "Conversations" AS c
          WHERE c."CreatedAt" >= @from AND c."CreatedAt" < @to
            AND EXISTS (SELECT 1 FROM "InboundHeads" AS h WHERE h."ConversationId" = c."Id")) AS x
        WHERE 1 = 1{filters}
        GROUP BY 1
        """;

    /// <summary>Follow-ups sent or skipped in the range (by when), for their agent (a callback's), conversation's skill and channel.</summary>
    private const string FollowUpsSql = """
        SELECT {key} AS "Key",
          SUM(CASE WHEN x."Status" = 1 THEN 1 ELSE 0 END) AS "FollowUpsSent",
          SUM(CASE WHEN x."Status" = 2 THEN 1 ELSE 0 END) AS "FollowUpsSkipped"
        FROM (
          SELECT f."DoneAt" AS "StartAt", f."Status", f."AgentId", f."Channel" AS "InstanceId", c."Skill"
          FROM "FollowUps" AS f LEFT JOIN "Conversations" AS c ON c."Id" = f."ConversationId"
          WHERE f."Status" IN (1, 2) AND f."DoneAt" >= @from AND f."DoneAt" < @to) AS x
        WHERE 1 = 1{filters}
        GROUP BY 1
        """;

    /// <summary>Replies an agent sent anyway with a forbidden phrase in them (one per phrase), by when, agent, conversation's skill and channel.</summary>
    private const string OverridesSql = """
        SELECT {key} AS "Key",
          COUNT(*) AS "PhraseOverrides"
        FROM (
          SELECT o."CreatedAt" AS "StartAt", o."AgentId", c."LastInstanceId" AS "InstanceId", c."Skill"
          FROM "ReplyOverrides" AS o LEFT JOIN "Conversations" AS c ON c."Id" = o."ConversationId"
          WHERE o."CreatedAt" >= @from AND o."CreatedAt" < @to) AS x
        WHERE 1 = 1{filters}
        GROUP BY 1
        """;
}

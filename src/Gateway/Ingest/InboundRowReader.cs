using System.Data.Common;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// The columns the inbound writer reads and writes, and how their values are stored, the same way on both
/// engines: times through <see cref="DateTimeOffsetToBinaryConverter"/> (as <see cref="GatewayDbContext"/> maps
/// them), ids through <see cref="StoreDialect"/>.
/// </summary>
internal static class InboundRowReader
{
    private static readonly DateTimeOffsetToBinaryConverter Times = new();

    public const string ContactColumns =
        "\"Id\", \"DisplayName\", \"Phone\", \"Email\", \"IsVip\", \"ExclusiveAgentId\", \"CreatedAt\", \"DeclaredName\", \"DeclaredPhone\", \"DeclaredEmail\", \"OrderStage\"";

    public const string ConversationColumns =
        "\"Id\", \"ContactId\", \"Status\", \"Skill\", \"Priority\", \"RoutingReason\", \"Language\", \"Tags\", \"AssignedAgentId\", \"LastInstanceId\", \"LastExternalId\", \"CreatedAt\", \"LastMessageAt\", \"StepEnteredAt\"";

    /// <summary>What the writer reads of a conversation: <see cref="ConversationColumns"/> and whether it is snoozed (a message wakes it).</summary>
    public const string ConversationReadColumns = ConversationColumns + ", \"SnoozedAt\"";

    public const string HeadColumns = "\"ConversationId\", \"LastMessageId\", \"LastMessageAt\", \"RunStartId\", \"RunStartAt\"";

    public static string Prefixed(string columns, string alias) =>
        string.Join(", ", columns.Split(", ").Select(column => $"{alias}.{column}"));

    public static long Ticks(DateTimeOffset at) => (long)Times.ConvertToProvider(at)!;

    public static DateTimeOffset Time(long value) => (DateTimeOffset)Times.ConvertFromProvider(value)!;

    public static Contact Contact(DbDataReader r, int at, StoreDialect d) => new()
    {
        Id = d.ReadId(r, at),
        DisplayName = r.IsDBNull(at + 1) ? null : r.GetString(at + 1),
        Phone = r.IsDBNull(at + 2) ? null : r.GetString(at + 2),
        Email = r.IsDBNull(at + 3) ? null : r.GetString(at + 3),
        IsVip = StoreDialect.ReadFlag(r, at + 4),
        ExclusiveAgentId = d.ReadNullableId(r, at + 5),
        CreatedAt = Time(r.GetInt64(at + 6)),
        DeclaredName = r.IsDBNull(at + 7) ? null : r.GetString(at + 7),
        DeclaredPhone = r.IsDBNull(at + 8) ? null : r.GetString(at + 8),
        DeclaredEmail = r.IsDBNull(at + 9) ? null : r.GetString(at + 9),
        OrderStage = (OrderStage)r.GetInt32(at + 10),
    };

    /// <summary>A conversation read with <see cref="ConversationReadColumns"/>.</summary>
    public static Conversation Conversation(DbDataReader r, int at, StoreDialect d) => new()
    {
        Id = d.ReadId(r, at),
        ContactId = d.ReadId(r, at + 1),
        Status = (ConversationStatus)r.GetInt32(at + 2),
        Skill = r.GetString(at + 3),
        Priority = r.GetInt32(at + 4),
        RoutingReason = r.IsDBNull(at + 5) ? null : r.GetString(at + 5),
        Language = r.IsDBNull(at + 6) ? null : r.GetString(at + 6),
        Tags = r.GetString(at + 7),
        AssignedAgentId = d.ReadNullableId(r, at + 8),
        LastInstanceId = r.GetString(at + 9),
        LastExternalId = r.GetString(at + 10),
        CreatedAt = Time(r.GetInt64(at + 11)),
        LastMessageAt = Time(r.GetInt64(at + 12)),
        StepEnteredAt = r.IsDBNull(at + 13) ? null : Time(r.GetInt64(at + 13)),
        SnoozedAt = r.IsDBNull(at + 14) ? null : Time(r.GetInt64(at + 14)),
    };

    public static InboundHead Head(DbDataReader r, int at, StoreDialect d) => new()
    {
        ConversationId = d.ReadId(r, at),
        LastMessageId = d.ReadId(r, at + 1),
        LastMessageAt = Time(r.GetInt64(at + 2)),
        RunStartId = d.ReadNullableId(r, at + 3),
        RunStartAt = r.IsDBNull(at + 4) ? null : Time(r.GetInt64(at + 4)),
    };
}

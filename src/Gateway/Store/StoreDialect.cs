using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// What differs between the engines for the inbound writer's hand-written statements: how ids and flags are
/// stored, and which failures mean another writer got to a row first.
/// </summary>
internal abstract class StoreDialect
{
    public static StoreDialect For(StoreOptions options) => options.IsSqlite ? new SqliteDialect() : new PostgreSqlDialect();

    /// <summary>A Guid as <see cref="GatewayDbContext"/> stores it: upper-case text on SQLite, uuid on PostgreSQL.</summary>
    public abstract object Id(Guid id);

    public object? Id(Guid? id) => id is { } v ? Id(v) : null;

    public abstract object Flag(bool value);

    public abstract Guid ReadId(DbDataReader reader, int ordinal);

    public Guid? ReadNullableId(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadId(reader, ordinal);

    public static bool ReadFlag(DbDataReader reader, int ordinal) => reader.GetFieldType(ordinal) == typeof(bool) ? reader.GetBoolean(ordinal) : reader.GetInt64(ordinal) != 0;

    /// <summary>Whether the exception says a unique constraint turned a row away (another writer stored it first).</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    /// <summary>
    /// Whether another writer got in the way (a row it stored first, a deadlock between two writers' locks): storing
    /// again finds what it stored, so the attempt is worth repeating.
    /// </summary>
    public virtual bool IsRace(Exception exception) => IsUniqueViolation(exception);

    private sealed class SqliteDialect : StoreDialect
    {
        public override object Id(Guid id) => StoredValues.Text(id);

        public override object Flag(bool value) => value ? 1L : 0L;

        public override Guid ReadId(DbDataReader reader, int ordinal) => Guid.Parse(reader.GetString(ordinal));

        public override bool IsUniqueViolation(Exception exception) =>
            exception is SqliteException { SqliteErrorCode: 19 } s && s.SqliteExtendedErrorCode is 2067 or 1555;
    }

    private sealed class PostgreSqlDialect : StoreDialect
    {
        public override object Id(Guid id) => id;

        public override object Flag(bool value) => value;

        public override Guid ReadId(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

        public override bool IsUniqueViolation(Exception exception) =>
            exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };

        public override bool IsRace(Exception exception) =>
            exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure };
    }

    /// <summary>The configured PostgreSQL connection string with the gateway's durability setting.</summary>
    public static string PostgreSqlConnectionString(StoreOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString);
        if (!options.Durable)
        {
            builder.Options = ((builder.Options ?? "") + " -c synchronous_commit=off").Trim();
        }

        builder.ApplicationName ??= "ChatGateway";
        return builder.ConnectionString;
    }
}

using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// What differs between the engines for statements written by hand (the inbound writer, the history query):
/// how values are bound and a connection is opened. The SQL itself is the same on both (double-quoted names,
/// <c>@name</c> parameters, <c>INSERT ... ON CONFLICT</c>), except for row locks, which SQLite does not need: a
/// SQLite write transaction holds the whole database.
/// </summary>
internal abstract class StoreDialect
{
    public static StoreDialect For(StoreOptions options) => options.IsSqlite ? new SqliteDialect(options) : new PostgreSqlDialect(options);

    public abstract StoreProvider Provider { get; }

    /// <summary><c> FOR UPDATE</c> where rows read in a write transaction must be locked (PostgreSQL), else nothing.</summary>
    public abstract string ForUpdate { get; }

    /// <summary>A Guid as <see cref="GatewayDbContext"/> stores it: upper-case text on SQLite, uuid on PostgreSQL.</summary>
    public abstract object Id(Guid id);

    public object? Id(Guid? id) => id is { } v ? Id(v) : null;

    public abstract object Flag(bool value);

    public abstract Guid ReadId(DbDataReader reader, int ordinal);

    public Guid? ReadNullableId(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : ReadId(reader, ordinal);

    public static bool ReadFlag(DbDataReader reader, int ordinal) => reader.GetFieldType(ordinal) == typeof(bool) ? reader.GetBoolean(ordinal) : reader.GetInt64(ordinal) != 0;

    public abstract DbParameter Parameter(string name, object? value);

    /// <summary>A new, open connection with the gateway's settings.</summary>
    public abstract DbConnection Open();

    /// <summary>Whether the exception says a unique constraint turned a row away (another writer stored it first).</summary>
    public abstract bool IsUniqueViolation(Exception exception);

    private sealed class SqliteDialect(StoreOptions options) : StoreDialect
    {
        public override StoreProvider Provider => StoreProvider.Sqlite;

        public override string ForUpdate => "";

        public override object Id(Guid id) => StoredValues.Text(id);

        public override object Flag(bool value) => value ? 1L : 0L;

        public override Guid ReadId(DbDataReader reader, int ordinal) => Guid.Parse(reader.GetString(ordinal));

        public override DbParameter Parameter(string name, object? value) => new SqliteParameter(name, value ?? DBNull.Value);

        public override DbConnection Open()
        {
            var connection = new SqliteConnection(options.ConnectionString);
            connection.Open();
            using var pragmas = connection.CreateCommand();
            pragmas.CommandText = SqlitePragmaInterceptor.Pragmas(options.Durable);
            pragmas.ExecuteNonQuery();
            return connection;
        }

        public override bool IsUniqueViolation(Exception exception) =>
            exception is SqliteException { SqliteErrorCode: 19 } s && s.SqliteExtendedErrorCode is 2067 or 1555;
    }

    private sealed class PostgreSqlDialect(StoreOptions options) : StoreDialect
    {
        public override StoreProvider Provider => StoreProvider.PostgreSql;

        public override string ForUpdate => " FOR UPDATE";

        public override object Id(Guid id) => id;

        public override object Flag(bool value) => value;

        public override Guid ReadId(DbDataReader reader, int ordinal) => reader.GetGuid(ordinal);

        public override DbParameter Parameter(string name, object? value) => new NpgsqlParameter(name, value ?? DBNull.Value);

        public override DbConnection Open()
        {
            var connection = new NpgsqlConnection(PostgreSqlConnectionString(options));
            connection.Open();
            return connection;
        }

        public override bool IsUniqueViolation(Exception exception) =>
            exception is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
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

using System.Text;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// A statement run through SQLite's own interface on a Microsoft.Data.Sqlite connection (and within its
/// transaction), for the one statement every inbound message runs. Binding values by name through
/// <see cref="SqliteCommand"/> costs a parameter lookup, a boxed value and a data reader per call, and
/// converts each string twice; that was a sixth of the inbound writer's time. Values bind by position.
/// </summary>
internal sealed class SqliteRawStatement : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _statement;
    private byte[] _text = new byte[1024];

    public SqliteRawStatement(SqliteConnection connection, string sql)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The connection is not open.");
        SqliteException.ThrowExceptionForRC(raw.sqlite3_prepare_v2(_db, sql, out _statement), _db);
    }

    /// <summary>A Guid as <see cref="Store.GatewayDbContext"/> stores it: upper-case text.</summary>
    public void Bind(int index, Guid value)
    {
        Span<byte> text = stackalloc byte[Store.StoredValues.GuidTextLength];
        Store.StoredValues.WriteText(value, text);

        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text(_statement, index, text), _db);
    }

    public void Bind(int index, string? value)
    {
        if (value is null)
        {
            SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_null(_statement, index), _db);
            return;
        }

        if (value.Length == 0)
        {
            // An empty span is bound through a null pointer, which SQLite takes for NULL.
            SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text(_statement, index, ""), _db);
            return;
        }

        var most = Encoding.UTF8.GetMaxByteCount(value.Length);
        if (most > _text.Length)
        {
            _text = new byte[most];
        }

        var length = Encoding.UTF8.GetBytes(value, _text);
        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_text(_statement, index, _text.AsSpan(0, length)), _db);
    }

    /// <summary>A Guid as upper-case text, or NULL.</summary>
    public void Bind(int index, Guid? value)
    {
        if (value is { } v)
        {
            Bind(index, v);
            return;
        }

        SqliteException.ThrowExceptionForRC(raw.sqlite3_bind_null(_statement, index), _db);
    }

    public void Bind(int index, long? value) =>
        SqliteException.ThrowExceptionForRC(value is { } v ? raw.sqlite3_bind_int64(_statement, index, v) : raw.sqlite3_bind_null(_statement, index), _db);

    /// <summary>Runs a statement that returns no rows; a failure throws <see cref="SqliteException"/> with SQLite's reason.</summary>
    public void Execute()
    {
        var rc = raw.sqlite3_step(_statement);
        try
        {
            if (rc != raw.SQLITE_DONE && rc != raw.SQLITE_ROW)
            {
                SqliteException.ThrowExceptionForRC(rc, _db);
            }
        }
        finally
        {
            raw.sqlite3_reset(_statement);
        }
    }

    public void Dispose() => _statement.Dispose();
}

using Microsoft.Data.Sqlite;

namespace ChatGateway.Gateway.Store;

internal sealed class StoreOptions
{
    /// <summary>SQLite connection string (<c>ConnectionStrings:Gateway</c>); the default is a file under ./data.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/gateway.db";

    /// <summary>
    /// A commit is on disk before it is acknowledged (synchronous=FULL; inbound messages: the log's fsync
    /// in LogSync). Off trades the last commits on power loss for speed.
    /// </summary>
    public bool Durable { get; set; } = true;

    /// <summary>The full path of the database file, or null for an in-memory store.</summary>
    public string? DatabaseFile
    {
        get
        {
            var builder = new SqliteConnectionStringBuilder(ConnectionString);
            return builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:"
                ? null
                : Path.GetFullPath(builder.DataSource);
        }
    }
}

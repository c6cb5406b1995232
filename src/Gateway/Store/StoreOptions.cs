using Microsoft.Data.Sqlite;

namespace ChatGateway.Gateway.Store;

/// <summary>The engine of the system of record.</summary>
public enum StoreProvider
{
    /// <summary>An embedded SQLite file (the default): one machine, any number of gateway processes on it.</summary>
    Sqlite,

    /// <summary>A PostgreSQL server: several gateway instances on several machines.</summary>
    PostgreSql,
}

internal sealed class StoreOptions
{
    /// <summary><c>Store:Provider</c>: <see cref="StoreProvider.Sqlite"/> (default) or <see cref="StoreProvider.PostgreSql"/>.</summary>
    public StoreProvider Provider { get; set; } = StoreProvider.Sqlite;

    /// <summary>
    /// <c>ConnectionStrings:Gateway</c>: a SQLite connection string (the default is a file under ./data) or, with
    /// <see cref="StoreProvider.PostgreSql"/>, an Npgsql one (<c>Host=db;Database=chatgateway;Username=gateway;Password=...</c>).
    /// </summary>
    public string ConnectionString { get; set; } = "Data Source=data/gateway.db";

    /// <summary>
    /// A commit is on disk before it is acknowledged (SQLite: synchronous=FULL, inbound messages after the log's
    /// fsync in LogSync; PostgreSQL: synchronous_commit=on for the gateway's connections). Off trades the last
    /// commits on power loss for speed.
    /// </summary>
    public bool Durable { get; set; } = true;

    public bool IsSqlite => Provider == StoreProvider.Sqlite;

    /// <summary>The full path of the SQLite database file, or null for an in-memory or PostgreSQL store.</summary>
    public string? DatabaseFile
    {
        get
        {
            if (!IsSqlite)
            {
                return null;
            }

            var builder = new SqliteConnectionStringBuilder(ConnectionString);
            return builder.Mode == SqliteOpenMode.Memory || string.IsNullOrEmpty(builder.DataSource) || builder.DataSource == ":memory:"
                ? null
                : Path.GetFullPath(builder.DataSource);
        }
    }

    /// <summary>Where the store is, for the log: the file, or the PostgreSQL server and database (never the password).</summary>
    public string Describe()
    {
        if (IsSqlite)
        {
            return DatabaseFile ?? "(in memory)";
        }

        var builder = new Npgsql.NpgsqlConnectionStringBuilder(ConnectionString);
        return $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}";
    }
}

/// <summary>Refuses every store setting that cannot work at once, naming its key.</summary>
internal sealed class StoreOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<StoreOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, StoreOptions options)
    {
        var errors = new List<string>();
        if (!Enum.IsDefined(options.Provider))
        {
            errors.Add("Store:Provider must be Sqlite or PostgreSql.");
        }
        else if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            errors.Add("ConnectionStrings:Gateway is empty.");
        }
        else
        {
            try
            {
                if (options.IsSqlite)
                {
                    _ = new SqliteConnectionStringBuilder(options.ConnectionString);
                }
                else
                {
                    var builder = new Npgsql.NpgsqlConnectionStringBuilder(options.ConnectionString);
                    if (string.IsNullOrEmpty(builder.Host) || string.IsNullOrEmpty(builder.Database))
                    {
                        errors.Add("ConnectionStrings:Gateway must name Host and Database for Store:Provider PostgreSql (e.g. Host=db;Database=chatgateway;Username=gateway).");
                    }
                }
            }
            catch (ArgumentException ex)
            {
                errors.Add($"ConnectionStrings:Gateway is not a valid {options.Provider} connection string: {ex.Message}");
            }
        }

        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }
}

using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace ChatGateway.Gateway.Store;

/// <summary>Sets SQLite's write-ahead log, sync level and busy timeout on every opened connection.</summary>
internal sealed class SqlitePragmaInterceptor(bool durable) : DbConnectionInterceptor
{
    private readonly string _pragmas = Pragmas(durable);

    /// <summary>The settings every connection to the store runs with.</summary>
    public static string Pragmas(bool durable) =>
        $"PRAGMA journal_mode=WAL; PRAGMA synchronous={(durable ? "FULL" : "NORMAL")}; PRAGMA busy_timeout=10000; PRAGMA foreign_keys=ON; PRAGMA mmap_size=268435456; PRAGMA wal_autocheckpoint=16384; PRAGMA journal_size_limit=67108864;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = _pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Ingest;

/// <summary>
/// The store's write-ahead log is copied into the database by a background thread, which syncs the
/// database file through SQLite's own file. What a shop must not notice: nothing written through the log
/// is lost or damaged, and the log is folded into the database while messages keep coming, not only when
/// it reaches its limit.
/// </summary>
public sealed class LogCheckpointerTests
{
    [Fact]
    public async Task UnderAStream_TheLogIsCopiedIntoTheDatabaseInTheBackground_AndEveryMessageIsStoredUndamaged()
    {
        var data = Directory.CreateTempSubdirectory("cg-checkpoint-").FullName;
        var database = new FileInfo(Path.Combine(data, "gateway.db"));
        const int messages = 1500;
        var text = string.Concat(Enumerable.Repeat("a long message that fills pages. ", 120)); // ~4 KB: about one page each
        await using (var host = await GatewayHost.StartAsync(dataDirectory: data))
        {
            using var http = host.CreateClient();
            database.Refresh();
            var before = database.Length;
            using var gate = new SemaphoreSlim(32);
            await Task.WhenAll(Enumerable.Range(0, messages).Select(async i =>
            {
                await gate.WaitAsync();
                try
                {
                    await RoutingTests.Inbound(http, $"cp-{i}", $"+1555300{i % 200:D4}", $"{i}: {text}");
                }
                finally
                {
                    gate.Release();
                }
            }));

            // ~6 MB went through the log, far below the size at which a commit would copy it (16,384 pages):
            // the database file grows only if the background thread copies the log into it.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (true)
            {
                database.Refresh();
                if (database.Length - before >= messages * 4096L * 3 / 4 || DateTime.UtcNow > deadline)
                {
                    break;
                }

                await Task.Delay(100);
            }

            Assert.True(database.Length - before >= messages * 4096L * 3 / 4, $"the database file grew by {database.Length - before:N0} bytes only");
            await using var db = host.CreateDbContext();
            Assert.Equal(messages, await db.Messages.CountAsync(m => m.Direction == MessageDirection.In));
        }

        // Once everything is closed the database alone holds every message, undamaged.
        SqliteConnection.ClearAllPools();
        await using var connection = new SqliteConnection($"Data Source={database.FullName}");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check;";
        Assert.Equal("ok", await command.ExecuteScalarAsync());
        command.CommandText = "SELECT count(*) FROM \"Messages\" WHERE \"Direction\" = 0;";
        Assert.Equal((long)messages, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task DatabaseFileSync_WorksOnAFileAndAnInMemoryStore_AndRefusesAClosedConnection()
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("cg-sync-").FullName, "s.db");
        await using var connection = new SqliteConnection($"Data Source={file}");
        await connection.OpenAsync();
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode=WAL; CREATE TABLE t(x); INSERT INTO t VALUES (1);";
            await command.ExecuteNonQueryAsync();
        }

        SqliteDatabaseFile.Sync(connection);

        await using (var read = connection.CreateCommand())
        {
            read.CommandText = "SELECT x FROM t;";
            Assert.Equal(1L, await read.ExecuteScalarAsync()); // the connection goes on as before
        }

        await using (var memory = new SqliteConnection("Data Source=:memory:"))
        {
            await memory.OpenAsync();
            SqliteDatabaseFile.Sync(memory); // nothing to sync, and no failure
        }

        await connection.CloseAsync();
        Assert.Throws<InvalidOperationException>(() => SqliteDatabaseFile.Sync(connection));
    }
}

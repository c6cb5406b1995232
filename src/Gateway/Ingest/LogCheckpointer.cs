using ChatGateway.Gateway.Store;
using Microsoft.Data.Sqlite;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// Copies the store's write-ahead log into the database in the background and syncs the database file
/// after each copy, so that the commit which takes the log past its limit has little left to do.
/// </summary>
/// <remarks>
/// <para>
/// SQLite's automatic checkpoint runs inside the commit that takes the log past its limit (the inbound
/// writer's, 16,384 pages): it copies what is left of the log into the database and syncs the database
/// file, with every caller of the writer waiting. Passive checkpoints from another connection (this
/// thread, every <see cref="Interval"/>, never blocking the writer or readers) leave little to copy, but
/// SQLite syncs the database only when a checkpoint copies the whole log, which a passive one rarely does
/// under load: the pages they copied piled up unsynced, and that one sync in the writer's commit wrote
/// them all, 60-110 ms twice a second. This thread now syncs the database file after each copy.
/// </para>
/// <para>
/// The sync goes through SQLite's own open file (<see cref="SqliteDatabaseFile"/>): opening the database
/// by path and closing it again would drop the process's locks on it.
/// </para>
/// </remarks>
internal sealed partial class LogCheckpointer
{
    /// <summary>How often the log is copied. Less often copies a page rewritten meanwhile once, not several times.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(250);

    private readonly string _connectionString;
    private readonly ILogger _logger;
    private readonly ManualResetEventSlim _stopping = new();
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;

    public LogCheckpointer(string connectionString, ILogger logger)
    {
        _connectionString = connectionString;
        _logger = logger;
    }

    /// <summary>Starts copying; called once the store exists (after the writer's first commit). Later calls do nothing.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            new Thread(Run) { IsBackground = true, Name = "Store checkpointer" }.Start();
        }
    }

    public Task StopAsync()
    {
        _stopping.Set();
        return Volatile.Read(ref _started) == 1 ? _stopped.Task : Task.CompletedTask;
    }

    private void Run()
    {
        SqliteConnection? connection = null;
        long lastCopied = 0;
        var syncs = true;
        try
        {
            while (!_stopping.Wait(Interval))
            {
                try
                {
                    if (connection is null)
                    {
                        connection = new SqliteConnection(_connectionString);
                        connection.Open();
                    }

                    var copied = CheckpointPassive(connection);
                    if (syncs && copied > 0 && copied != lastCopied)
                    {
                        try
                        {
                            SqliteDatabaseFile.Sync(connection);
                        }
                        catch (Exception ex) when (ex is not SqliteException)
                        {
                            // SQLite's file object is not reachable on this platform: the copies go on, and
                            // the writer's automatic checkpoint syncs them (as before this thread synced).
                            syncs = false;
                            LogSyncUnavailable(_logger, ex);
                        }
                    }

                    lastCopied = copied;
                }
                catch (Exception ex)
                {
                    // Whatever failed, this thread goes on (the writer's own checkpoint does the work meanwhile);
                    // a fresh connection next time.
                    LogCheckpointFailed(_logger, ex);
                    connection?.Dispose();
                    connection = null;
                }
            }
        }
        finally
        {
            connection?.Dispose();
            _stopped.SetResult();
        }
    }

    /// <summary>A passive checkpoint: how many frames of the log are now copied into the database (-1 without a log).</summary>
    private static long CheckpointPassive(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA wal_checkpoint(PASSIVE);";
        using var reader = command.ExecuteReader();
        return reader.Read() ? reader.GetInt64(2) : -1;
    }

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Checkpointing the store's write-ahead log failed; trying again shortly")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "The store's database file cannot be synced after each checkpoint on this platform; the writer's own checkpoints will take longer")]
    private static partial void LogSyncUnavailable(ILogger logger, Exception exception);
}

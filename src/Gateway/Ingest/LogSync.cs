using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Win32.SafeHandles;
using ChatGateway.Gateway.Store;

namespace ChatGateway.Gateway.Ingest;

/// <summary>
/// Acknowledges committed batches once the write-ahead log that holds them is on disk. The
/// <see cref="InboundWriter"/> commits without waiting for the disk (synchronous=NORMAL) and goes on with
/// the next batch while this thread fsyncs the log, once for every batch committed since its last fsync.
/// An acknowledged message survives a power cut as with synchronous=FULL, but the writer no longer sits
/// idle while the disk syncs, and one fsync covers several batches when the disk is slow.
/// </summary>
/// <remarks>
/// Linux syncs a file, not a descriptor: an fsync of the log opened by path after the commit covers the
/// frames SQLite wrote through its own descriptor. NORMAL keeps the store consistent on its own (SQLite
/// syncs the log before a checkpoint and the database after it); this thread only adds durability.
/// </remarks>
internal sealed partial class LogSync
{
    private readonly string _logPath;
    private readonly ILogger _logger;
    private readonly ThreadQueue<List<(PendingInbound Item, Ingested Result)>> _committed =
        new(Channel.CreateUnbounded<List<(PendingInbound Item, Ingested Result)>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true }));

    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private LogSync(string logPath, ILogger logger)
    {
        _logPath = logPath;
        _logger = logger;
        new Thread(Run) { IsBackground = true, Name = "Inbound log sync" }.Start();
    }

    /// <summary>A syncer for the store's file, or null when there is no file to sync (an in-memory store).</summary>
    public static LogSync? For(StoreOptions store, ILogger logger) =>
        store.DatabaseFile is { } file ? new LogSync(file + "-wal", logger) : null;

    /// <summary>Completes the batch's callers after the next fsync of the log (which starts after this call).</summary>
    public void Acknowledge(List<(PendingInbound Item, Ingested Result)> committed)
    {
        if (!_committed.TryWrite(committed))
        {
            throw new InvalidOperationException("The log syncer has stopped.");
        }
    }

    /// <summary>Syncs and acknowledges what is queued, then stops.</summary>
    public Task StopAsync()
    {
        _committed.Complete();
        return _stopped.Task;
    }

    private void Run()
    {
        var waiting = new List<List<(PendingInbound Item, Ingested Result)>>();
        while (_committed.WaitToRead())
        {
            while (_committed.TryRead(out var committed))
            {
                waiting.Add(committed);
            }

            Exception? failure = null;
            try
            {
                Sync();
            }
            catch (Exception ex)
            {
                // The frames may not be on disk: the callers are told to retry, and the retry finds the
                // message stored (a duplicate) if it was. Whatever failed, this thread goes on: a caller
                // left waiting would never be answered.
                LogSyncFailed(_logger, ex);
                failure = ex;
            }

            foreach (var committed in waiting)
            {
                if (failure is null)
                {
                    Answers.Send(committed);
                }
                else
                {
                    Answers.Fail(committed, failure);
                }
            }

            waiting.Clear();
        }

        _stopped.SetResult();
    }

    private void Sync()
    {
        try
        {
            using var log = File.OpenHandle(_logPath, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite | FileShare.Delete);
            if (OperatingSystem.IsLinux())
            {
                // The frames and the log's size, not its modification time: as PostgreSQL syncs its log
                // by default on Linux. The time needs a commit of the file system's journal, which on ext4
                // waits for the data of every other file written since (the checkpoint's pages).
                if (fdatasync(log) != 0)
                {
                    throw new IOException($"Syncing the store's log failed (fdatasync errno {Marshal.GetLastPInvokeError()}).");
                }
            }
            else
            {
                RandomAccess.FlushToDisk(log);
            }
        }
        catch (FileNotFoundException)
        {
            // The last connection closed and SQLite removed the log after copying it into the database
            // file, which it synced: the frames are on disk already.
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int fdatasync(SafeFileHandle fd);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Error, Message = "Syncing the store's write-ahead log to disk failed; the messages of the batch are answered with an error so that providers retry")]
    private static partial void LogSyncFailed(ILogger logger, Exception exception);
}

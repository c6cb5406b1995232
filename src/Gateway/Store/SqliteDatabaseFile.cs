using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace ChatGateway.Gateway.Store;

/// <summary>
/// Syncs a store's database file to disk through SQLite's own open file, the one the connection reads
/// and writes.
/// </summary>
/// <remarks>
/// The file is never opened a second time for this: POSIX drops every lock a process holds on a file
/// when any descriptor of that file is closed, so opening the database by path and closing it again
/// would silently release the locks of all the process's connections, and another process (a backup,
/// the sqlite3 shell) could then delete the write-ahead log under them. SQLite hands out its file object
/// (SQLITE_FCNTL_FILE_POINTER, documented) and that object's methods are the public VFS interface:
/// xSync is the sixth entry of <c>sqlite3_io_methods</c>.
/// </remarks>
internal static unsafe partial class SqliteDatabaseFile
{
    private const int FileControlFilePointer = 7; // SQLITE_FCNTL_FILE_POINTER
    private const int SyncNormal = 2; // SQLITE_SYNC_NORMAL
    private const int XSyncSlot = 5; // sqlite3_io_methods: iVersion (padded to a pointer), xClose, xRead, xWrite, xTruncate, xSync

    /// <summary>Syncs the main database file of <paramref name="connection"/> (open, and owned by the calling thread).</summary>
    /// <exception cref="SqliteException">SQLite or the file system refused.</exception>
    public static void Sync(SqliteConnection connection)
    {
        if (connection.Handle is not { } handle)
        {
            throw new InvalidOperationException("The connection is not open.");
        }

        void* file = null;
        var rc = FileControl(handle.DangerousGetHandle(), "main\0"u8, FileControlFilePointer, &file);
        if (rc != 0 || file is null)
        {
            throw new SqliteException($"SQLite did not give the database file (error {rc}).", rc);
        }

        var methods = *(void***)file;
        if (methods is null)
        {
            return; // no file behind it (an in-memory database): nothing to sync
        }

        var xSync = (delegate* unmanaged<void*, int, int>)methods[XSyncSlot];
        rc = xSync(file, SyncNormal);
        if (rc != 0)
        {
            throw new SqliteException($"Syncing the database file failed (error {rc}).", rc);
        }
    }

    private static int FileControl(nint db, ReadOnlySpan<byte> name, int op, void* arg)
    {
        fixed (byte* n = name)
        {
            return NativeFileControl(db, n, op, arg);
        }
    }

    // The same library Microsoft.Data.Sqlite runs on (SQLitePCLRaw's e_sqlite3 bundle).
    [LibraryImport("e_sqlite3", EntryPoint = "sqlite3_file_control")]
    private static partial int NativeFileControl(nint db, byte* name, int op, void* arg);
}

using System.Diagnostics;
using Npgsql;

namespace ChatGateway.Bench;

/// <summary>
/// A real PostgreSQL server of the bench's own, from Debian's server binaries: <c>initdb</c> into a temporary
/// folder (as the <c>postgres</c> user when the bench runs as root, which initdb refuses), started with
/// <c>pg_ctl</c> on a free loopback port, stopped and removed at the end. Durable as a shop would run it: fsync
/// and full-page writes on, <c>synchronous_commit=on</c> (a commit waits for its WAL flush), so the figure
/// includes the disk, like the SQLite figures' synced log.
/// </summary>
internal sealed class PostgreSqlProcess : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _folder;
    private readonly bool _asPostgres;

    private PostgreSqlProcess(string bin, string folder, bool asPostgres, int port)
    {
        _bin = bin;
        _folder = folder;
        _asPostgres = asPostgres;
        AdminConnectionString = $"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false";
    }

    /// <summary>The server's administrative connection string (database <c>postgres</c>).</summary>
    public string AdminConnectionString { get; }

    public string DataDirectory => Path.Combine(_folder, "data");

    public static async Task<PostgreSqlProcess> StartAsync(bool pinned)
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        if (bin is null)
        {
            throw new InvalidOperationException("The PostgreSQL figure needs PostgreSQL's server binaries: apt-get install postgresql");
        }

        // Its own folder outside the bench's (which only root may enter): the server runs as the postgres user.
        var asPostgres = Environment.UserName == "root";
        var folder = Directory.CreateTempSubdirectory("cg-bench-pg-").FullName;
        var server = new PostgreSqlProcess(bin, folder, asPostgres, RedisProcess.FreePort());
        try
        {
            if (asPostgres)
            {
                await RunAsync("chown", ["postgres", folder]);
            }

            await server.RunPostgresAsync("initdb", ["-D", server.DataDirectory, "-U", "postgres", "-A", "trust", "-E", "UTF8"], pinned: false);
            var port = new NpgsqlConnectionStringBuilder(server.AdminConnectionString).Port;
            var settings = $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300 " +
                "-c fsync=on -c full_page_writes=on -c synchronous_commit=on";
            await server.RunPostgresAsync("pg_ctl", ["-D", server.DataDirectory, "-l", Path.Combine(folder, "log"), "-o", settings, "-w", "-t", "60", "start"], pinned);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>A new, empty database on the server; its connection string.</summary>
    public async Task<string> CreateDatabaseAsync(string name)
    {
        await using (var connection = new NpgsqlConnection(AdminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{name}\"";
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(AdminConnectionString) { Database = name, Pooling = true }.ConnectionString;
    }

    public async ValueTask DisposeAsync()
    {
        if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
        {
            try
            {
                await RunPostgresAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], pinned: false);
            }
            catch (InvalidOperationException ex)
            {
                Console.Error.WriteLine(ex.Message);
            }
        }

        try
        {
            Directory.Delete(_folder, recursive: true);
        }
        catch (IOException)
        {
            // the system's temp folder is its to clean
        }
    }

    /// <summary>One of the server's programs, as the postgres user when the bench is root; pinned to CPU 0 with the servers.</summary>
    private Task RunPostgresAsync(string program, string[] arguments, bool pinned)
    {
        IEnumerable<string> command = [Path.Combine(_bin, program), .. arguments];
        if (_asPostgres)
        {
            command = ["runuser", "-u", "postgres", "--", .. command];
        }

        // Started under taskset, the server's processes (and every backend it forks later) inherit the CPU.
        if (pinned)
        {
            command = ["taskset", "-c", "0", .. command];
        }

        return RunAsync(command.First(), command.Skip(1).ToArray());
    }

    private static async Task RunAsync(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        arguments.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw new InvalidOperationException($"{Path.GetFileName(program)} did not finish in 2 minutes.");
        }

        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(program)} failed ({process.ExitCode}): {await error} {await output}");
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>
/// One real PostgreSQL server for the whole test run, from Debian's server binaries: <c>initdb</c> into a
/// temporary folder (as the <c>postgres</c> user when the tests run as root, which initdb refuses), started
/// with <c>pg_ctl</c> on a free loopback port. Every gateway of a test gets a database of its own. Missing
/// binaries skip the PostgreSQL variant of a test on a developer's machine and fail it in CI (CI=true).
/// </summary>
public static class PostgreSqlServer
{
    private static readonly Lazy<(string? ConnectionString, string? Problem)> Server = new(Start);

    /// <summary>The store of tests that do not name one: SQLite, or PostgreSQL when CHATGATEWAY_TEST_STORE=postgresql.</summary>
    public static bool IsDefault =>
        string.Equals(Environment.GetEnvironmentVariable("CHATGATEWAY_TEST_STORE"), "postgresql", StringComparison.OrdinalIgnoreCase);

    /// <summary>The server's administrative connection string (database <c>postgres</c>).</summary>
    public static string AdminConnectionStringOrSkip()
    {
        var (connectionString, problem) = Server.Value;
        if (connectionString is not null)
        {
            return connectionString;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("CI must run the PostgreSQL tests: " + problem);
        }

        Assert.Skip("PostgreSQL not available here: " + problem);
        return "";
    }

    /// <summary>
    /// The database of a test's data folder, made at its first use: a gateway restarted on the same folder finds
    /// its store again, as it finds its SQLite file.
    /// </summary>
    public static string DatabaseOf(string dataDirectory)
    {
        var file = Path.Combine(dataDirectory, "postgresql.txt");
        if (File.Exists(file))
        {
            return File.ReadAllText(file);
        }

        var connectionString = CreateDatabase();
        File.WriteAllText(file, connectionString);
        return connectionString;
    }

    /// <summary>A new, empty database on the server; its connection string.</summary>
    public static string CreateDatabase()
    {
        var admin = AdminConnectionStringOrSkip();
        var name = "t" + Guid.NewGuid().ToString("N");
        using (var connection = new NpgsqlConnection(admin))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"CREATE DATABASE \"{name}\"";
            command.ExecuteNonQuery();
        }

        // Each test's gateway has a pool of its own (one database each): idle connections close within seconds, so a
        // whole suite's hosts never hold the server's connections.
        return new NpgsqlConnectionStringBuilder(admin)
        {
            Database = name, Pooling = true, MaxPoolSize = 30, ConnectionIdleLifetime = 2, ConnectionPruningInterval = 1,
        }.ConnectionString;
    }

    private static (string?, string?) Start()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).Order().LastOrDefault()
            : null;
        if (bin is null)
        {
            return (null, "PostgreSQL's server binaries are not installed (apt-get install postgresql)");
        }

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var root = Environment.UserName == "root";
        var folder = Path.Combine(Path.GetTempPath(), "cg-pg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        var data = Path.Combine(folder, "data");
        if (root && Run("chown", ["postgres", folder]) is { } chownProblem)
        {
            return (null, chownProblem);
        }

        if (Run(Path.Combine(bin, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"], root) is { } initProblem)
        {
            return (null, initProblem);
        }

        // fsync off: a test server loses nothing a test relies on when the machine does not crash.
        var options = $"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=1000 -c shared_buffers=64MB";
        if (Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-l", Path.Combine(folder, "log"), "-o", options, "-w", "-t", "60", "start"], root) is { } startProblem)
        {
            return (null, startProblem);
        }

        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            Run(Path.Combine(bin, "pg_ctl"), ["-D", data, "-m", "immediate", "stop"], root);
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        };

        return ($"Host=127.0.0.1;Port={port};Username=postgres;Database=postgres;Pooling=false", null);
    }

    /// <summary>Runs a program to its end (as the postgres user when asked); null, or what went wrong.</summary>
    private static string? Run(string program, string[] arguments, bool asPostgres = false)
    {
        var start = new ProcessStartInfo(asPostgres ? "runuser" : program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", program })
            {
                start.ArgumentList.Add(a);
            }
        }

        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(120_000))
        {
            process.Kill();
            return $"{Path.GetFileName(program)} did not finish";
        }

        return process.ExitCode == 0 ? null : $"{Path.GetFileName(program)} failed ({process.ExitCode}): {error.Result} {output.Result}";
    }
}

/// <summary>For the few tests about SQLite itself (its query plans, its rowid, its file).</summary>
public static class SqliteOnly
{
    public static void Require(string what)
    {
        if (PostgreSqlServer.IsDefault)
        {
            Assert.Skip($"SQLite only ({what}); the SQLite pass runs it");
        }
    }
}

/// <summary>
/// For tests that name their store and Redis themselves: they run in the suite's first pass only (CI runs the gateway
/// suite again on redis-server and on PostgreSQL, where they would repeat themselves).
/// </summary>
public static class OncePerRun
{
    public static void Require()
    {
        if (PostgreSqlServer.IsDefault || GatewayHost.DefaultBackend == RedisBackend.Redis)
        {
            Assert.Skip("names its own store and Redis; runs in the suite's first pass");
        }
    }
}

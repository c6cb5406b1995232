using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using StackExchange.Redis;

namespace ChatGateway.Bench;

internal static class Repo
{
    public static string Root { get; } = FindRoot();

#if DEBUG
    private const string Configuration = "Debug";
#else
    private const string Configuration = "Release";
#endif

    /// <summary>The gateway as built with this bench (the project reference builds it and its bundled plugins).</summary>
    public static string GatewayDll => Path.Combine(Root, "src", "Gateway", "bin", Configuration, "net10.0", "ChatGateway.Gateway.dll");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatGateway.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Run the bench from the repository (ChatGateway.slnx not found above " + AppContext.BaseDirectory + ").");
    }
}

/// <summary>Servers of one bench run, and the temporary folder they use; all stopped and removed at the end.</summary>
internal sealed class BenchContext : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];

    private BenchContext(BenchOptions options, string directory)
    {
        Options = options;
        Directory = directory;
    }

    public BenchOptions Options { get; }

    public string Directory { get; }

    public static Task<BenchContext> CreateAsync(BenchOptions options)
    {
        if (!File.Exists(Repo.GatewayDll))
        {
            throw new InvalidOperationException($"The gateway is not built at {Repo.GatewayDll}; run the bench with 'dotnet run -c Release --project bench/ChatGateway.Bench'.");
        }

        return Task.FromResult(new BenchContext(options, System.IO.Directory.CreateTempSubdirectory("cg-bench-").FullName));
    }

    public async Task<RedisProcess> StartRedisAsync(bool appendOnly) => Own(await RedisProcess.StartAsync(NewFolder("redis"), appendOnly, Options.Pinned));

    public async Task<PostgreSqlProcess> StartPostgreSqlAsync() => Own(await PostgreSqlProcess.StartAsync(Options.Pinned));

    /// <summary>
    /// The gateway with an SMS instance (<c>sms</c>) and a web chat instance (<c>webchat</c>), on its own empty store:
    /// a SQLite file in its folder, or the PostgreSQL database <paramref name="postgreSql"/> (a connection string).
    /// </summary>
    /// <param name="smsApi">Where the SMS instance sends (a Twilio-shaped server); nowhere by default.</param>
    /// <param name="orders">Also an order events instance (<c>orders</c>, standard format, secret <see cref="GatewayServer.OrdersSecret"/>).</param>
    public async Task<GatewayServer> StartGatewayAsync(
        RedisProcess? redis, bool durableStore, IDictionary<string, string>? settings = null, string? postgreSql = null, Uri? smsApi = null, bool orders = false)
    {
        var data = NewFolder("gateway");
        // The load comes from one address: the widget's per-address flood limits (Limits) are off.
        var ordersEntry = orders ? """, { "id": "orders", "plugin": "ShopOrders", "enabled": true, "settings": { "Format": "standard" } }""" : "";
        File.WriteAllText(Path.Combine(data, "plugins.json"), $$"""
            { "plugins": [
              { "id": "sms", "plugin": "Sms", "enabled": true, "settings": { "AccountSid": "{{GatewayServer.AccountSid}}", "FromNumber": "+15005550006", "PublicBaseUrl": "{{GatewayServer.PublicBaseUrl}}", "ApiBaseAddress": "{{smsApi?.ToString() ?? "http://127.0.0.1:9"}}" } },
              { "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 2000, "Limits": { "VisitorsPerMinute": 0, "NewConversationsPerMinute": 0, "MessagesPerMinute": 0 } } }{{ordersEntry}}
            ] }
            """);
        var env = new Dictionary<string, string>
        {
            ["ASPNETCORE_ENVIRONMENT"] = "Production",
            ["ConnectionStrings__Gateway"] = $"Data Source={Path.Combine(data, "gateway.db")}",
            ["ConnectionStrings__Redis"] = redis?.ConnectionString ?? "",
            ["Redis__KeyPrefix"] = $"b{Guid.NewGuid():N}"[..9] + ":",
            ["Plugins__ConfigPath"] = Path.Combine(data, "plugins.json"),
            ["Channels__sms__AuthToken"] = GatewayServer.AuthToken,
            ["Channels__orders__Secret"] = GatewayServer.OrdersSecret,
            // Production has no demo agents: the bench's own agent, as an operator would configure one.
            ["Agents__Seed__0__UserName"] = "alice",
            ["Agents__Seed__0__Role"] = "supervisor",
            ["Agents__Seed__0__PasswordHash"] = GatewayServer.AgentPasswordHash.Value,
            ["Agents__Seed__0__Skills__0"] = "pre-sale",
            ["Agents__Seed__0__Skills__1"] = "vip",
            ["Agents__Seed__0__MaxConcurrent"] = "3",
            ["Store__Durable"] = durableStore ? "true" : "false",
            // The figures are about inbound messages: no "all agents are busy" reply to every new customer.
            ["BusinessHours__NoAgentReply"] = "",
            ["Logging__LogLevel__Default"] = "Warning",
            ["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning",
        };
        if (postgreSql is not null)
        {
            env["Store__Provider"] = "PostgreSql";
            env["ConnectionStrings__Gateway"] = postgreSql;
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            env[key] = value;
        }

        var process = await ServerProcess.StartAsync("gateway", ["exec", Repo.GatewayDll, "--urls", "http://127.0.0.1:0"], data, env,
            new Regex(@"ChatGateway is running\. Demo shop: (http://[^/\s]+)/"), Options.Pinned);
        return Own(new GatewayServer(process, Path.Combine(data, "gateway.db"), postgreSql));
    }

    public async Task<ServerProcess> StartBaselineAsync(RedisProcess redis)
    {
        var self = Path.Combine(AppContext.BaseDirectory, "ChatGateway.Bench.dll");
        return Own(await ServerProcess.StartAsync("baseline", ["exec", self, "--serve-baseline", redis.ConnectionString], Directory,
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "1" }, new Regex(@"Baseline listening on (http://\S+)"), Options.Pinned));
    }

    /// <summary>The PostgreSQL baseline (<see cref="BaselineServer.RunPostgreSqlAsync"/>) on the database <paramref name="postgreSql"/>.</summary>
    public async Task<ServerProcess> StartPostgreSqlBaselineAsync(string postgreSql)
    {
        var self = Path.Combine(AppContext.BaseDirectory, "ChatGateway.Bench.dll");
        return Own(await ServerProcess.StartAsync("PostgreSQL baseline", ["exec", self, "--serve-postgresql-baseline", postgreSql], Directory,
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "1" }, new Regex(@"Baseline listening on (http://\S+)"), Options.Pinned));
    }

    public async Task StopAsync(IAsyncDisposable server)
    {
        _owned.Remove(server);
        await server.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var server in Enumerable.Reverse(_owned))
        {
            await server.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // a server still closing a file; the temp folder is the system's to clean
        }
    }

    private string NewFolder(string name) => System.IO.Directory.CreateDirectory(Path.Combine(Directory, $"{name}-{Guid.NewGuid():N}")).FullName;

    private T Own<T>(T server) where T : IAsyncDisposable
    {
        _owned.Add(server);
        return server;
    }
}

internal sealed class GatewayServer(ServerProcess process, string databasePath, string? postgreSql = null) : IAsyncDisposable
{
    public const string AccountSid = "ACbench0000000000000000000000000000";
    public const string AuthToken = "bench-auth-token-0123456789abcdef";
    public const string PublicBaseUrl = "https://bench.example.com";
    public const string AgentPassword = "bench-agent-password";

    /// <summary>The order events instance's Standard Webhooks secret.</summary>
    public static readonly string OrdersSecret = "whsec_" + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("bench-order-events-secret-0123456789"));

    /// <summary>PBKDF2-SHA256 at the gateway's 600,000 iterations, in its <c>pbkdf2-sha256$iterations$salt$hash</c> form.</summary>
    public static readonly Lazy<string> AgentPasswordHash = new(() =>
    {
        var salt = System.Security.Cryptography.RandomNumberGenerator.GetBytes(16);
        var hash = System.Security.Cryptography.Rfc2898DeriveBytes.Pbkdf2(AgentPassword, salt, 600_000, System.Security.Cryptography.HashAlgorithmName.SHA256, 32);
        return $"pbkdf2-sha256$600000${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";
    });

    public Uri BaseAddress => process.BaseAddress;

    public int Pid => process.Pid;

    /// <summary>The SQLite store's file (its folder is the gateway's, removed with it).</summary>
    public string DatabasePath => databasePath;

    /// <summary>The PostgreSQL store's connection string, or null on SQLite.</summary>
    public string? PostgreSql => postgreSql;

    /// <summary>
    /// Stops the gateway and deletes its folder: pages of a deleted file that are still waiting to be written
    /// are dropped, so the next figure's syncs do not queue behind the writeback of this one's store (a
    /// gigabyte after the ingest figures).
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        await process.DisposeAsync();
        try
        {
            Directory.Delete(Path.GetDirectoryName(databasePath)!, recursive: true);
        }
        catch (IOException)
        {
            // left for the run's own folder to be cleaned at the end
        }
    }
}

/// <summary>A server as its own OS process, ready once it prints its address.</summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;

    private ServerProcess(Process process, Uri baseAddress, ConcurrentQueue<string> output)
    {
        _process = process;
        BaseAddress = baseAddress;
        _output = output;
    }

    public Uri BaseAddress { get; }

    public int Pid => _process.Id;

    public static async Task<ServerProcess> StartAsync(string name, string[] args, string workingDirectory, IDictionary<string, string> env, Regex ready, bool pinned)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        args.ToList().ForEach(start.ArgumentList.Add);
        foreach (var (key, value) in env)
        {
            start.Environment[key] = value;
        }

        var process = Process.Start(start)!;
        if (pinned)
        {
            Machine.Pin(process.Id, "0");
        }

        var output = new ConcurrentQueue<string>();
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            output.Enqueue(line);
            while (output.Count > 200)
            {
                output.TryDequeue(out _);
            }

            if (ready.Match(line) is { Success: true } match)
            {
                address.TrySetResult(new Uri(match.Groups[1].Value));
            }
        }

        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            // After its start a server is only stopped by the bench (killed: exit code 137); anything else is said, with its last words.
            if (!address.TrySetException(new InvalidOperationException($"The {name} exited at start:\n" + string.Join('\n', output))) && process.ExitCode != 137)
            {
                Console.Error.WriteLine($"The {name} exited during the run ({process.ExitCode}):\n" + string.Join('\n', output.TakeLast(40)));
            }
        };
        try
        {
            return new ServerProcess(process, await address.Task.WaitAsync(TimeSpan.FromSeconds(60)), output);
        }
        catch
        {
            Kill(process);
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill(_process);
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }
}

/// <summary>A real <c>redis-server</c> on a free loopback port, with or without an append-only file (fsync every second).</summary>
internal sealed class RedisProcess : IAsyncDisposable
{
    private readonly Process _process;

    private RedisProcess(Process process, int port, ConnectionMultiplexer connection)
    {
        _process = process;
        ConnectionString = $"127.0.0.1:{port}";
        Connection = connection;
    }

    public string ConnectionString { get; }

    /// <summary>An admin connection for INFO and FLUSHALL.</summary>
    public ConnectionMultiplexer Connection { get; }

    public static async Task<RedisProcess> StartAsync(string directory, bool appendOnly, bool pinned)
    {
        if (!File.Exists("/usr/bin/redis-server"))
        {
            throw new InvalidOperationException("The bench needs redis-server: apt-get install redis-server");
        }

        var port = FreePort();
        var args = $"--port {port} --bind 127.0.0.1 --save \"\" --dir {directory} --appendonly {(appendOnly ? "yes" : "no")} --appendfsync everysec --protected-mode no";
        var process = Process.Start(new ProcessStartInfo("/usr/bin/redis-server", args) { RedirectStandardOutput = true, UseShellExecute = false })!;
        process.BeginOutputReadLine();
        if (pinned)
        {
            Machine.Pin(process.Id, "0");
        }

        for (var attempt = 0; ; attempt++)
        {
            try
            {
                var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{port},allowAdmin=true");
                await connection.GetDatabase().PingAsync();
                return new RedisProcess(process, port, connection);
            }
            catch (RedisConnectionException) when (attempt < 50)
            {
                await Task.Delay(100);
            }
        }
    }

    /// <summary>Calls per command since the last reset (<c>INFO commandstats</c>); scripts' own calls included.</summary>
    public async Task<Dictionary<string, long>> CommandStatsAsync()
    {
        var info = (string)(await Connection.GetDatabase().ExecuteAsync("INFO", "commandstats"))!;
        return Regex.Matches(info, @"cmdstat_([a-z|_]+):calls=(\d+)").ToDictionary(m => m.Groups[1].Value, m => long.Parse(m.Groups[2].Value));
    }

    public Task ResetStatsAsync() => Connection.GetDatabase().ExecuteAsync("CONFIG", "RESETSTAT");

    public async ValueTask DisposeAsync()
    {
        await Connection.DisposeAsync();
        try
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

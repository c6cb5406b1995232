using System.Diagnostics;
using System.Net;
using System.Text.RegularExpressions;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>
/// The gateway as a separate operating-system process (the build in this test's output, with its
/// plugins), so tests can run several instances against one Redis and one store, and kill one.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;

    private GatewayProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public Uri BaseAddress { get; }

    /// <summary>Settings shared by the instances of one test: one store, one Redis, one key prefix.</summary>
    public sealed record Cluster(string DataDirectory, string Redis, string KeyPrefix, StoreProvider Store, string StoreConnectionString)
    {
        public static Cluster Create(string pluginsJson, StoreProvider? store = null)
        {
            var data = Directory.CreateTempSubdirectory("cg-cluster-").FullName;
            File.WriteAllText(Path.Combine(data, "plugins.json"), pluginsJson);
            var provider = store ?? GatewayHost.DefaultStore;
            var connectionString = provider == StoreProvider.PostgreSql
                ? PostgreSqlServer.CreateDatabase()
                : $"Data Source={Path.Combine(data, "gateway.db")}";
            return new Cluster(data, RedisServer.ConnectionStringOrSkip(), $"t{Guid.NewGuid():N}:", provider, connectionString);
        }

        public string DatabasePath => Path.Combine(DataDirectory, "gateway.db");

        internal GatewayDbContext CreateDbContext() =>
            new((DbContextOptions<GatewayDbContext>)GatewayServiceCollectionExtensions.UseStore(
                new DbContextOptionsBuilder<GatewayDbContext>(), new StoreOptions { Provider = Store, ConnectionString = StoreConnectionString }).Options);
    }

    /// <param name="cluster">The store, Redis and plugins.json the instances share.</param>
    /// <param name="settings">Further settings of this instance, keys as in configuration (<c>Routing:DisconnectGrace</c>) or as environment variables (<c>Delivery__Concurrency</c>).</param>
    public static async Task<GatewayProcess> StartAsync(Cluster cluster, IReadOnlyDictionary<string, string>? settings = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "ChatGateway.Gateway.dll"), "--urls", "http://127.0.0.1:0" },
            WorkingDirectory = cluster.DataDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Testing";
        foreach (var (key, value) in GatewayHost.DemoAgentSettings("__"))
        {
            start.Environment[key] = value;
        }

        start.Environment["ConnectionStrings__Gateway"] = cluster.StoreConnectionString;
        start.Environment["Store__Provider"] = cluster.Store.ToString();
        start.Environment["ConnectionStrings__Redis"] = cluster.Redis;
        start.Environment["Redis__KeyPrefix"] = cluster.KeyPrefix;
        start.Environment["Plugins__ConfigPath"] = Path.Combine(cluster.DataDirectory, "plugins.json");
        start.Environment["Delivery__PollInterval"] = "00:00:00.050";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        start.Environment["Logging__LogLevel__Microsoft.Hosting.Lifetime"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start)!;
        var ready = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            output.Enqueue(e.Data);
            var match = RunningLine().Match(e.Data);
            if (match.Success)
            {
                ready.TrySetResult(new Uri(match.Groups[1].Value));
            }
        };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException("the gateway process exited: " + string.Join(Environment.NewLine, output)));

        try
        {
            // Slow machines (two cores shared with other tests) take a while to start a gateway; a process that never
            // says it runs is killed, not left running after the test.
            var address = await ready.Task.WaitAsync(TimeSpan.FromSeconds(120));
            return new GatewayProcess(process, address);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("the gateway process did not say it runs within 120 s: " + string.Join(Environment.NewLine, output));
        }
    }

    public HttpClient CreateClient(CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler { CookieContainer = cookies ?? new CookieContainer() }) { BaseAddress = BaseAddress };

    /// <summary>Kills the process at once, as a crash or a power cut would.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
    }

    public ValueTask DisposeAsync()
    {
        Kill();
        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    [GeneratedRegex(@"ChatGateway is running\. Demo shop: (http://[^/\s]+)/")]
    private static partial Regex RunningLine();
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>
/// One real redis-server process for the whole test run, on a free loopback port, without persistence.
/// Tests isolate themselves with their own key prefix. Missing redis-server skips the Redis variant of
/// a test on a developer's machine, and fails it in CI (CI=true), where it must be installed.
/// </summary>
public static class RedisServer
{
    private static readonly Lazy<(string? ConnectionString, string? Problem)> Server = new(Start);

    public static string ConnectionStringOrSkip()
    {
        var (connectionString, problem) = Server.Value;
        if (connectionString is not null)
        {
            return connectionString;
        }

        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException("CI must run the Redis tests: " + problem);
        }

        Assert.Skip("real Redis not available here: " + problem);
        return "";
    }

    private static (string?, string?) Start()
    {
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists);
        if (binary is null)
        {
            return (null, "redis-server is not installed (apt-get install redis-server)");
        }

        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var process = Process.Start(new ProcessStartInfo(binary)
        {
            ArgumentList = { "--port", port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }
        };

        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return ($"127.0.0.1:{port}", null);
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        return (null, $"redis-server did not start on port {port}");
    }
}

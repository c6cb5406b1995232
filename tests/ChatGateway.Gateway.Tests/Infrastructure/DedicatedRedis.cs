using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>A redis-server of this test alone, on a free loopback port, that the test stops and starts again.</summary>
public sealed class DedicatedRedis : IAsyncDisposable
{
    private readonly string _binary;
    private readonly int _port;
    private Process? _process;

    private DedicatedRedis(string binary, int port)
    {
        _binary = binary;
        _port = port;
    }

    public string ConnectionString => $"127.0.0.1:{_port}";

    public static DedicatedRedis Start()
    {
        RedisServer.ConnectionStringOrSkip(); // skips (or fails in CI) where redis-server is missing
        var binary = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.First(File.Exists);
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var server = new DedicatedRedis(binary, port);
        server.Restart();
        return server;
    }

    public void Restart()
    {
        _process = Process.Start(new ProcessStartInfo(_binary)
        {
            ArgumentList = { "--port", _port.ToString(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no" },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, _port);
                return;
            }
            catch (SocketException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }
        }
    }

    public void Stop()
    {
        _process?.Kill();
        _process?.WaitForExit();
        _process?.Dispose();
        _process = null;
    }

    public ValueTask DisposeAsync()
    {
        Stop();
        return ValueTask.CompletedTask;
    }
}

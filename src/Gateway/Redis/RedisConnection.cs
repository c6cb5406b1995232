using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Garnet;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace ChatGateway.Gateway.Redis;

/// <summary>
/// The gateway's one Redis multiplexer. With no connection string configured it first starts Microsoft
/// Garnet in-process on loopback, so the same client and Lua scripts run on both.
/// </summary>
internal sealed partial class RedisConnection : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection;
    private GarnetServer? _garnet;
    private readonly ILogger<RedisConnection> _logger;
    private readonly ILoggerFactory _loggerFactory;

    public RedisConnection(IOptions<RedisOptions> options, ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory;
        _logger = loggerFactory.CreateLogger<RedisConnection>();
        Options = options.Value;
        _connection = new(() => ConnectAsync(Options), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public RedisOptions Options { get; }

    public string KeyPrefix => Options.KeyPrefix;

    /// <summary>Where the embedded Garnet server listens (password protected); null with an external Redis.</summary>
    public IPEndPoint? EmbeddedEndPoint { get; private set; }

    /// <summary>True when this process runs the embedded Garnet server.</summary>
    public bool IsEmbedded => string.IsNullOrWhiteSpace(Options.ConnectionString);

    public Task<ConnectionMultiplexer> GetAsync() => _connection.Value;

    public async Task<IDatabase> GetDatabaseAsync() => (await GetAsync()).GetDatabase();

    private async Task<ConnectionMultiplexer> ConnectAsync(RedisOptions options)
    {
        var connectionString = options.ConnectionString;
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            var port = options.EmbeddedPort == 0 ? FreeLoopbackPort() : options.EmbeddedPort;
            // A password made for this start only: another local user or process cannot read or change routing
            // state through the loopback port (nobody but this process ever needs it).
            var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
            _garnet = new GarnetServer(
                ["--bind", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--auth", "Password", "--password", password,
                 "--lua", "true", "--lua-transaction-mode", "false", "--memory", Options.EmbeddedMemory, "--page", "4m", "--index", "8m"],
                new WarningsOnlyLoggerFactory(_loggerFactory));
            _garnet.Start();
            EmbeddedEndPoint = new IPEndPoint(IPAddress.Loopback, port);
            connectionString = $"127.0.0.1:{port},password={password}";
            LogEmbeddedStarted(_logger, port);
        }

        var config = ConfigurationOptions.Parse(connectionString);
        config.AbortOnConnectFail = false;
        config.ConnectRetry = 5;
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(config);
        return multiplexer;
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated)
        {
            try
            {
                var multiplexer = await _connection.Value;
                await multiplexer.CloseAsync();
                multiplexer.Dispose();
            }
            catch (Exception)
            {
                // A connection that never came up has nothing to close.
            }
        }

        _garnet?.Dispose();
    }

    /// <summary>Garnet logs its internals at Information; the gateway keeps only its warnings.</summary>
    private sealed class WarningsOnlyLoggerFactory(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new WarningsOnlyLogger(inner.CreateLogger("Garnet." + categoryName));

        public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

        public void Dispose()
        {
        }
    }

    private sealed class WarningsOnlyLogger(ILogger inner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning && inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "Embedded Garnet server started on 127.0.0.1:{Port}")]
    private static partial void LogEmbeddedStarted(ILogger logger, int port);
}

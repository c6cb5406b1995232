using System.Net;
using ChatGateway.Gateway.Store;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>
/// The real gateway on Kestrel (a real loopback port), with its own SQLite file in a temp folder, its
/// own plugins.json, and either its embedded Garnet or the shared real redis-server.
/// </summary>
public sealed class GatewayHost : IAsyncDisposable
{
    public const string DemoPassword = "demo-password";
    public const string SmsAuthToken = "test-auth-token-0123456789abcdef";
    public const string SmsAccountSid = "ACtest00000000000000000000000000";

    /// <summary>One hash of <see cref="DemoPassword"/> at today's iterations, made once per test run (hashing is slow on purpose).</summary>
    private static readonly Lazy<string> DemoHash = new(() => Agents.PasswordHasher.Hash(DemoPassword));

    internal static string DemoPasswordHash => DemoHash.Value;

    /// <summary>
    /// The demo agents as every test expects them (they live in appsettings.Development.json, which tests do not
    /// read): alice a supervisor (pre-sale, vip), bob (after-sale, complaints, pre-sale), carol (logistics, after-sale).
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> DemoAgentSettings(string separator = ":")
    {
        var agents = new (string User, string Display, string? Role, string[] Skills)[]
        {
            ("alice", "Alice", "supervisor", ["pre-sale", "vip"]),
            ("bob", "Bob", null, ["after-sale", "complaints", "pre-sale"]),
            ("carol", "Carol", null, ["logistics", "after-sale"]),
        };
        for (var i = 0; i < agents.Length; i++)
        {
            var key = $"Agents{separator}Seed{separator}{i}{separator}";
            yield return new(key + "UserName", agents[i].User);
            yield return new(key + "DisplayName", agents[i].Display);
            yield return new(key + "PasswordHash", DemoPasswordHash);
            yield return new(key + "MaxConcurrent", "3");
            if (agents[i].Role is { } role)
            {
                yield return new(key + "Role", role);
            }

            for (var s = 0; s < agents[i].Skills.Length; s++)
            {
                yield return new(key + "Skills" + separator + s, agents[i].Skills[s]);
            }
        }
    }

    private readonly Factory _factory;

    private GatewayHost(Factory factory, string dataDirectory)
    {
        _factory = factory;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => _factory.Services;

    /// <summary>plugins.json with a web chat and a probe channel; SMS added when a fake Twilio runs.</summary>
    public static string DefaultPluginsJson(string? twilioBaseAddress = null, string publicBaseUrl = "https://shop.example.com")
    {
        var entries = new List<string>
        {
            """{ "id": "webchat", "plugin": "WebChat", "enabled": true, "settings": { "MaxMessageLength": 500, "AllowedOrigins": ["https://shop.example.com"] } }""",
            """{ "id": "probe", "plugin": "VersionProbeA", "enabled": true, "settings": { "Greeting": "hello from A" } }""",
        };
        if (twilioBaseAddress is not null)
        {
            entries.Add($$"""{ "id": "sms-main", "plugin": "Sms", "enabled": true, "settings": { "AccountSid": "{{SmsAccountSid}}", "FromNumber": "+15005550006", "PublicBaseUrl": "{{publicBaseUrl}}", "ApiBaseAddress": "{{twilioBaseAddress}}" } }""");
        }

        return "{ \"plugins\": [\n" + string.Join(",\n", entries) + "\n] }";
    }

    /// <summary>
    /// The backend of tests that do not name one: embedded Garnet, or the real redis-server when
    /// CHATGATEWAY_TEST_BACKEND=redis (CI runs the whole suite both ways).
    /// </summary>
    public static RedisBackend DefaultBackend =>
        string.Equals(Environment.GetEnvironmentVariable("CHATGATEWAY_TEST_BACKEND"), "redis", StringComparison.OrdinalIgnoreCase) ? RedisBackend.Redis : RedisBackend.Garnet;

    /// <summary>
    /// The store of tests that do not name one: a SQLite file, or a database of the test run's PostgreSQL server when
    /// CHATGATEWAY_TEST_STORE=postgresql (CI runs the gateway suite both ways).
    /// </summary>
    public static StoreProvider DefaultStore => PostgreSqlServer.IsDefault ? StoreProvider.PostgreSql : StoreProvider.Sqlite;

    public static async Task<GatewayHost> StartAsync(
        RedisBackend? backend = null,
        string? pluginsJson = null,
        IDictionary<string, string?>? settings = null,
        string? dataDirectory = null,
        TimeProvider? clock = null)
    {
        var host = Create(backend ?? DefaultBackend, pluginsJson, settings, dataDirectory, clock);
        await host.StartServerAsync();
        return host;
    }

    /// <summary>Creates the host without starting it (to see start-up failures).</summary>
    /// <param name="demoAgents">Seeds alice, bob and carol (false: no agents unless <paramref name="settings"/> has some).</param>
    /// <param name="environment">The host environment; "Testing" allows the demo password like Development does.</param>
    public static GatewayHost Create(
        RedisBackend backend, string? pluginsJson, IDictionary<string, string?>? settings, string? dataDirectory = null, TimeProvider? clock = null,
        bool demoAgents = true, string environment = "Testing", StoreProvider? storeProvider = null)
    {
        var store = storeProvider ?? DefaultStore;
        var redis = backend == RedisBackend.Redis ? RedisServer.ConnectionStringOrSkip() : "";
        var data = dataDirectory ?? Directory.CreateTempSubdirectory("cg-test-").FullName;
        var pluginsPath = Path.Combine(data, "plugins.json");
        File.WriteAllText(pluginsPath, pluginsJson ?? DefaultPluginsJson());

        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:Gateway"] = store == StoreProvider.PostgreSql ? PostgreSqlServer.DatabaseOf(data) : $"Data Source={Path.Combine(data, "gateway.db")}",
            ["Store:Provider"] = store.ToString(),
            ["ConnectionStrings:Redis"] = redis,
            ["Redis:KeyPrefix"] = $"t{Guid.NewGuid():N}:",
            ["Plugins:ConfigPath"] = pluginsPath,
            ["Attachments:Path"] = Path.Combine(data, "attachments"),
            ["Channels:sms-main:AuthToken"] = SmsAuthToken,
            ["Delivery:InitialBackoff"] = "00:00:00.100",
            ["Delivery:MaxBackoff"] = "00:00:00.500",
            ["Delivery:PollInterval"] = "00:00:00.050",
            ["Delivery:MaxAttempts"] = "4",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        if (demoAgents)
        {
            foreach (var (key, value) in DemoAgentSettings())
            {
                config[key] = value;
            }
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            config[key] = value;
        }

        return new GatewayHost(new Factory(config, clock, environment), data);
    }

    public Task StartServerAsync()
    {
        _factory.UseKestrel(0);
        _factory.StartServer();
        var address = _factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1"));
        return Task.CompletedTask;
    }

    /// <summary>A plain client against the real port; cookies kept per client.</summary>
    public HttpClient CreateClient(CookieContainer? cookies = null) =>
        new(new SocketsHttpHandler { CookieContainer = cookies ?? new CookieContainer(), UseCookies = true }) { BaseAddress = BaseAddress };

    public async Task<AgentSession> SignInAsync(string userName, bool online = true) =>
        await AgentSession.StartAsync(BaseAddress, userName, DemoPassword, online);

    /// <summary>Writes routing.json in the data folder and reloads the configuration, as an operator's edit would.</summary>
    public void ReloadRouting(string json)
    {
        File.WriteAllText(Path.Combine(DataDirectory, "routing.json"), json);
        ((IConfigurationRoot)Services.GetRequiredService<IConfiguration>()).Reload();
    }

    internal GatewayDbContext CreateDbContext() => Services.GetRequiredService<IDbContextFactory<GatewayDbContext>>().CreateDbContext();

    public async ValueTask DisposeAsync()
    {
        await _factory.DisposeAsync();
    }

    private sealed class Factory(Dictionary<string, string?> config, TimeProvider? clock, string environment) : WebApplicationFactory<Program>
    {

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            builder.UseEnvironment(environment);
            // Read by Program before the services are built (whether anything listens to the meters), where the
            // configuration added below is not yet seen.
            foreach (var (key, value) in config.Where(c => c.Key.StartsWith("Metrics:", StringComparison.Ordinal)))
            {
                builder.UseSetting(key, value);
            }

            builder.ConfigureAppConfiguration((_, configuration) =>
            {
                configuration.AddInMemoryCollection(config);
                // A file the test may rewrite and reload, like an operator editing appsettings.json.
                configuration.AddJsonFile(Path.Combine(Path.GetDirectoryName(config["Plugins:ConfigPath"]!)!, "routing.json"), optional: true, reloadOnChange: false);
            });
            if (clock is not null)
            {
                builder.ConfigureServices(services => services.AddSingleton(clock));
            }
        }
    }
}

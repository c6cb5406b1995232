using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace ChatGateway.Gateway.Tests.Health;

/// <summary>
/// What a load balancer sees: <c>/healthz/live</c> stays 200 while the process serves, and <c>/healthz/ready</c>
/// (and <c>/healthz</c>) turns 503 naming what fails when the store refuses writes or Redis is gone, and 200 again
/// once it is back, without a restart. The instances are idle: nothing but readiness itself finds the store failing.
/// </summary>
public sealed class ReadinessTests
{
    private static readonly Dictionary<string, string?> QuickProbe = new()
    {
        ["Health:StoreProbeInterval"] = "00:00:01",
        ["Health:StoreWriteTimeout"] = "00:00:02",
    };

    [Fact]
    public async Task SqliteStoreLockedByAnotherProcess_ReadyIs503NamingTheStore_LiveStays200_AndReadyReturnsWhenWritesWork()
    {
        await using var host = GatewayHost.Create(GatewayHost.DefaultBackend, null, QuickProbe, storeProvider: StoreProvider.Sqlite);
        await host.StartServerAsync();
        using var http = host.CreateClient();
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK);

        // Another process's write transaction: the gateway can read, and every write of its waits and then fails.
        await using (var other = new SqliteConnection($"Data Source={Path.Combine(host.DataDirectory, "gateway.db")};Pooling=False"))
        {
            await other.OpenAsync();
            await using (var begin = other.CreateCommand())
            {
                begin.CommandText = "BEGIN EXCLUSIVE";
                await begin.ExecuteNonQueryAsync();
            }

            await AssertStoreNotReadyAsync(http);
        }

        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
    }

    [Fact]
    public async Task PostgreSqlStoreTurnedReadOnly_ReadyIs503NamingTheStore_LiveStays200_AndReadyReturnsWhenWritesWork()
    {
        await using var host = GatewayHost.Create(GatewayHost.DefaultBackend, null, QuickProbe, storeProvider: StoreProvider.PostgreSql);
        await host.StartServerAsync();
        using var http = host.CreateClient();
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK);
        var database = new NpgsqlConnectionStringBuilder(host.Services.GetRequiredService<IOptions<StoreOptions>>().Value.ConnectionString).Database!;

        // What a replica promoted the wrong way round, or an operator's emergency switch, does: every session reads only.
        await SetReadOnlyAsync(database, true);
        await AssertStoreNotReadyAsync(http);

        await SetReadOnlyAsync(database, false);
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK);
    }

    [Fact]
    public async Task RedisStopped_ReadyIs503NamingRedis_LiveStays200_AndReadyReturnsWhenRedisDoes()
    {
        await using var redis = DedicatedRedis.Start();
        await using var host = await GatewayHost.StartAsync(RedisBackend.Garnet, settings: new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = redis.ConnectionString + ",syncTimeout=1000,asyncTimeout=1000,connectTimeout=1000",
        });
        using var http = host.CreateClient();
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK);

        redis.Stop();
        var checks = await WaitForAsync(http, "/healthz/ready", HttpStatusCode.ServiceUnavailable);
        Assert.NotEqual("ok", checks.GetProperty("redis").GetString());
        Assert.Equal("ok", checks.GetProperty("store").GetString());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/healthz")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz/live")).StatusCode);

        redis.Restart();
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.OK);
    }

    private static async Task AssertStoreNotReadyAsync(HttpClient http)
    {
        await WaitForAsync(http, "/healthz/ready", HttpStatusCode.ServiceUnavailable);

        // And it stays so while writes fail (not only while a connection breaks), over several probe intervals.
        for (var until = DateTime.UtcNow.AddSeconds(4); DateTime.UtcNow < until; await Task.Delay(250))
        {
            using var ready = await http.GetAsync("/healthz/ready");
            var checks = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
            Assert.NotEqual("ok", checks.GetProperty("store").GetString());
            Assert.Equal("ok", checks.GetProperty("redis").GetString());
        }

        Assert.Equal(HttpStatusCode.ServiceUnavailable, (await http.GetAsync("/healthz")).StatusCode);
        var live = await http.GetAsync("/healthz/live");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal("healthy", (await live.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    /// <summary>Polls <paramref name="path"/> until it answers <paramref name="status"/>; its checks.</summary>
    private static async Task<JsonElement> WaitForAsync(HttpClient http, string path, HttpStatusCode status)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await http.GetAsync(path);
            var body = await response.Content.ReadFromJsonAsync<JsonElement>();
            if (response.StatusCode == status)
            {
                return body.GetProperty("checks");
            }

            Assert.True(DateTime.UtcNow < deadline, $"{path} still answers {(int)response.StatusCode} {body}, not {(int)status}");
            await Task.Delay(200);
        }
    }

    /// <summary>Sets the database's sessions read-only (or back) and ends the sessions open now, so the next ones start so.</summary>
    private static async Task SetReadOnlyAsync(string database, bool readOnly)
    {
        await using var admin = new NpgsqlConnection(PostgreSqlServer.AdminConnectionStringOrSkip());
        await admin.OpenAsync();
        await using var command = admin.CreateCommand();
        command.CommandText = $"""
            ALTER DATABASE "{database}" SET default_transaction_read_only = {(readOnly ? "on" : "off")};
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{database}' AND pid <> pg_backend_pid();
            """;
        await command.ExecuteNonQueryAsync();
    }
}

using ChatGateway.Gateway.Store;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Gateway.Tests.Infrastructure;

/// <summary>
/// Two gateway instances in this process, each its own host with its own timers, sharing one store, one real
/// redis-server and one key prefix, as two machines behind a load balancer would. One fake clock drives both, so a
/// test can bring an event due and let both instances' timers find it at once.
/// </summary>
public sealed class TwoInstances : IAsyncDisposable
{
    private TwoInstances(GatewayHost a, GatewayHost b, FakeTimeProvider clock)
    {
        (A, B, Clock) = (a, b, clock);
    }

    public GatewayHost A { get; }

    public GatewayHost B { get; }

    public FakeTimeProvider Clock { get; }

    public static async Task<TwoInstances> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var data = Directory.CreateTempSubdirectory("cg-two-").FullName;
        var shared = new Dictionary<string, string?>(settings ?? new Dictionary<string, string?>())
        {
            ["ConnectionStrings:Gateway"] = GatewayHost.DefaultStore == StoreProvider.PostgreSql
                ? PostgreSqlServer.CreateDatabase()
                : $"Data Source={Path.Combine(data, "gateway.db")}",
            ["Store:Provider"] = GatewayHost.DefaultStore.ToString(),
            ["Redis:KeyPrefix"] = $"t{Guid.NewGuid():N}:",
        };

        // One after the other: the first migrates and seeds the store, the second finds it ready.
        var a = await GatewayHost.StartAsync(RedisBackend.Redis, settings: shared, clock: clock);
        var b = await GatewayHost.StartAsync(RedisBackend.Redis, settings: shared, clock: clock);
        return new TwoInstances(a, b, clock);
    }

    /// <summary>Runs the same service's check on both instances at the same moment.</summary>
    public Task BothAsync<T>(Func<T, Task> check)
        where T : notnull =>
        Task.WhenAll(
            Task.Run(() => check(A.Services.GetRequiredService<T>())),
            Task.Run(() => check(B.Services.GetRequiredService<T>())));

    public async ValueTask DisposeAsync()
    {
        await B.DisposeAsync();
        await A.DisposeAsync();
    }
}

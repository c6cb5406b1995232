using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ChatGateway.Gateway.Tests.Store;

/// <summary>
/// The host starts its services in registration order, and a background worker begins its loop as soon
/// as it is started: one started before the store is migrated queries tables that do not exist yet. The
/// overflow worker did, and logged "no such table: Conversations" at the first start of a fresh store
/// whose migrations took over a second (seen in the bench's gateways on a busy machine).
/// </summary>
public sealed class StartOrderTests
{
    [Fact]
    public async Task EveryBackgroundWorker_StartsAfterTheStoreIsMigrated()
    {
        await using var host = await GatewayHost.StartAsync();

        var started = host.Services.GetServices<IHostedService>().ToList();
        var initializer = started.FindIndex(s => s is StartupInitializer);
        Assert.True(initializer >= 0, "the store's start-up initializer is not a hosted service");
        var early = started.Take(initializer).OfType<BackgroundService>().Select(s => s.GetType().Name).ToList();
        Assert.True(early.Count == 0, "started before the store is migrated: " + string.Join(", ", early));
    }
}

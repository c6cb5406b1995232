using Microsoft.Extensions.DependencyInjection;
using ChatGateway.Abstractions;
using ChatGateway.Gateway.Plugins;
using ChatGateway.Gateway.Store;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Rich;

/// <summary>
/// A channel instance's durable values (an IMAP cursor) and leases (one poller in a cluster), in the store every gateway
/// instance shares. Bad inputs tried: an empty key, a key and a value over their limits, a lease of no duration.
/// </summary>
public sealed class ChannelStateTests
{
    [Fact]
    public async Task StateIsKeptPerInstance_AndCompareAndSetMovesACursorOnlyFromWhereItWas()
    {
        await using var channel = await RichChannel.StartAsync();
        Assert.True(channel.Host.Services.GetRequiredService<ChannelRegistry>().TryGetRunning(RichChannel.Instance, out var mail));
        var state = mail.Services!.GetRequiredService<IChannelState>();
        Assert.True(channel.Host.Services.GetRequiredService<ChannelRegistry>().TryGetRunning("webchat", out var webchat));
        var others = webchat.Services!.GetRequiredService<IChannelState>();

        Assert.Null(await state.GetAsync("imap:INBOX", CancellationToken.None));
        Assert.True(await state.CompareAndSetAsync("imap:INBOX", null, "7:100", CancellationToken.None));
        Assert.False(await state.CompareAndSetAsync("imap:INBOX", null, "7:1", CancellationToken.None));
        Assert.False(await state.CompareAndSetAsync("imap:INBOX", "7:99", "7:150", CancellationToken.None));
        Assert.True(await state.CompareAndSetAsync("imap:INBOX", "7:100", "7:150", CancellationToken.None));
        Assert.Equal("7:150", await state.GetAsync("imap:INBOX", CancellationToken.None));
        Assert.Null(await others.GetAsync("imap:INBOX", CancellationToken.None));

        await state.SetAsync("offset", "1", CancellationToken.None);
        await state.SetAsync("offset", "2", CancellationToken.None);
        Assert.Equal("2", await state.GetAsync("offset", CancellationToken.None));
        await state.SetAsync("offset", null, CancellationToken.None);
        Assert.Null(await state.GetAsync("offset", CancellationToken.None));

        await Assert.ThrowsAsync<ArgumentException>(() => state.SetAsync("", "x", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => state.SetAsync(new string('k', 201), "x", CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() => state.SetAsync("k", new string('v', 4001), CancellationToken.None));
        Assert.Equal("7:150", await state.GetAsync("imap:INBOX", CancellationToken.None));
    }

    [Fact]
    public async Task OneGatewayInstanceHoldsALease_AnotherTakesItOnlyOnceItRanOutOrWasGivenUp()
    {
        await using var channel = await RichChannel.StartAsync();
        var services = channel.Host.Services;
        ChannelStateStore For(GatewayInstance instance) => new(
            services.GetRequiredService<IDbContextFactory<GatewayDbContext>>(), services.GetRequiredService<StoreDialect>(), TimeProvider.System, instance, RichChannel.Instance);
        var first = For(new GatewayInstance());
        var second = For(new GatewayInstance());

        var held = await first.TryAcquireAsync("imap", TimeSpan.FromSeconds(2), CancellationToken.None);
        Assert.NotNull(held);
        Assert.Null(await second.TryAcquireAsync("imap", TimeSpan.FromSeconds(2), CancellationToken.None));
        Assert.True(await held.RenewAsync(CancellationToken.None));
        Assert.NotNull(await second.TryAcquireAsync("token-refresh", TimeSpan.FromSeconds(2), CancellationToken.None));

        await Task.Delay(TimeSpan.FromSeconds(2.5));
        var taken = await second.TryAcquireAsync("imap", TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.NotNull(taken);
        Assert.False(await held.RenewAsync(CancellationToken.None));

        await taken.DisposeAsync();
        Assert.NotNull(await first.TryAcquireAsync("imap", TimeSpan.FromSeconds(30), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => first.TryAcquireAsync("imap", TimeSpan.Zero, CancellationToken.None));
    }
}

using ChatGateway.Abstractions;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>The 24-hour customer service window, as the gateway asks before a follow-up.</summary>
public sealed class WhatsAppOutreachTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0.5, true)]
    [InlineData(23.5, true)]
    [InlineData(24.5, false)]
    [InlineData(72, false)]
    public async Task CannotReach_ByHoursSinceTheCustomersLastMessage_AllowsOnlyWithinTheWindow(double hoursAgo, bool allowed)
    {
        var time = new FakeTimeProvider(Now);
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", WhatsAppTestInstance.ValidSettings(), timeProvider: time);
        var outreach = container.Services.GetRequiredService<IChannelOutreach>();

        var reason = await outreach.CannotReachAsync(Request(Now.AddHours(-hoursAgo)), TestContext.Current.CancellationToken);

        Assert.Equal(allowed ? null : "the 24-hour customer service window is closed: use a template or another channel", reason);
    }

    [Fact]
    public async Task CannotReach_TheClockMovesOnPastTheWindow_SaysNoThen()
    {
        var time = new FakeTimeProvider(Now);
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", WhatsAppTestInstance.ValidSettings(), timeProvider: time);
        var outreach = container.Services.GetRequiredService<IChannelOutreach>();
        var request = Request(Now.AddHours(-1));

        Assert.Null(await outreach.CannotReachAsync(request, TestContext.Current.CancellationToken));
        time.Advance(TimeSpan.FromHours(23));
        Assert.NotNull(await outreach.CannotReachAsync(request, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task CannotReach_CustomerNeverWrote_SaysNo()
    {
        await using var container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", WhatsAppTestInstance.ValidSettings(), timeProvider: new FakeTimeProvider(Now));

        var reason = await container.Services.GetRequiredService<IChannelOutreach>().CannotReachAsync(Request(null), TestContext.Current.CancellationToken);

        Assert.Contains("never written", reason);
    }

    private static OutreachRequest Request(DateTimeOffset? last) =>
        new(new ChannelRecipient { ExternalId = "15551234567", Phone = "+15551234567" }, last, Transactional: true);
}

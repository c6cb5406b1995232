using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

using static ChatGateway.Plugins.Telegram.Tests.TelegramTestInstance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// setWebhook at start-up: called with the url, the secret token and the updates wanted (my_chat_member among them), tried again while Telegram is down (the instance
/// starts all the same and says it is not ready meanwhile), ready once Telegram accepted it.
/// </summary>
public sealed class TelegramWebhookRegistrationTests
{
    private const string WebhookUrl = "https://shop.example.com/channels/telegram/webhook";

    [Fact]
    public async Task SetWebhook_TelegramDownAtStart_StartsAnyway_IsNotReady_ThenRegistersWhenTelegramIsBack()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken, ct);
        telegram.Unavailable = true;
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram",
            new Dictionary<string, string?>(ValidSettings(telegram)) { ["WebhookUrl"] = WebhookUrl, ["MaxRegistrationBackoff"] = "00:00:00.2" });
        Assert.Empty(container.StartupFailures());
        var workers = container.Services.GetServices<IHostedService>().ToList();
        foreach (var worker in workers)
        {
            await worker.StartAsync(ct).WaitAsync(TimeSpan.FromSeconds(5), ct);
        }

        var readiness = Assert.Single(container.Services.GetServices<IChannelReadiness>());
        await EventuallyAsync(() => telegram.CountOf("setWebhook") >= 2);
        var reason = await readiness.CheckAsync(ct);
        Assert.NotNull(reason);
        Assert.Contains("setWebhook", reason);
        Assert.DoesNotContain(BotToken, reason);
        Assert.Empty(telegram.Webhooks);

        telegram.Unavailable = false;
        await EventuallyAsync(() => telegram.Webhooks.Count == 1);
        Assert.Equal((WebhookUrl, SecretToken), telegram.Webhooks[0]);
        // Asked for explicitly: the user blocking or unblocking the bot, besides messages.
        Assert.Contains("my_chat_member", telegram.AllowedUpdates("setWebhook")!);
        Assert.Contains("message", telegram.AllowedUpdates("setWebhook")!);
        await EventuallyAsync(() => readiness.CheckAsync(ct).Result is null);

        foreach (var worker in workers)
        {
            await worker.StopAsync(ct);
        }
    }

    [Fact]
    public async Task WithoutAWebhookUrl_TheTokenIsCheckedByGetMe_AndNoWebhookIsSet()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken, ct);
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram", ValidSettings(telegram));
        var workers = container.Services.GetServices<IHostedService>().ToList();
        foreach (var worker in workers)
        {
            await worker.StartAsync(ct);
        }

        var readiness = Assert.Single(container.Services.GetServices<IChannelReadiness>());
        await EventuallyAsync(() => readiness.CheckAsync(ct).Result is null);
        Assert.Equal(1, telegram.CountOf("getMe"));
        Assert.Equal(0, telegram.CountOf("setWebhook"));

        foreach (var worker in workers)
        {
            await worker.StopAsync(ct);
        }
    }

    [Fact]
    public async Task AWrongToken_SaysSoInReadiness()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var telegram = await FakeTelegramServer.StartAsync(BotToken, ct);
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram",
            new Dictionary<string, string?>(ValidSettings(telegram)) { ["BotToken"] = "7000000001:revoked" });
        var workers = container.Services.GetServices<IHostedService>().ToList();
        foreach (var worker in workers)
        {
            await worker.StartAsync(ct);
        }

        var readiness = Assert.Single(container.Services.GetServices<IChannelReadiness>());
        await EventuallyAsync(() => telegram.CountOf("getMe") >= 1);
        await EventuallyAsync(() => readiness.CheckAsync(ct).Result?.Contains("check BotToken", StringComparison.Ordinal) == true);

        foreach (var worker in workers)
        {
            await worker.StopAsync(ct);
        }
    }

    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "timed out");
            await Task.Delay(20);
        }
    }
}

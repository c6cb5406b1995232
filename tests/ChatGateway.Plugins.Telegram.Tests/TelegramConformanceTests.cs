using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>The Telegram plugin against what the gateway expects of every channel plugin.</summary>
public sealed class TelegramConformanceTests() : ChannelPluginConformanceTests(
    new TelegramChannelPlugin(),
    TelegramTestInstance.ValidSettings(),
    ["ChannelSecret", "AccessToken", "ApiBaseAddress"])
{
    protected override WebhookSamples Webhook => new()
    {
        Path = "webhook",
        ContentType = "application/json",
        SingleMessage = TelegramTestInstance.LoadPayload("message.json"),
        Batch = TelegramTestInstance.LoadPayload("batch.json"),
        BatchMessages = 3,
        Sign = (_, body) => TelegramTestInstance.Sign(body),
        MaxBodyBytes = 1024 * 1024,
    };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeTelegramApi.StartAsync(TestContext.Current.CancellationToken);
}

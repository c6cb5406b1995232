using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// The Telegram plugin against what the gateway expects of every channel plugin, with Telegram's own update and a fake
/// Bot API. Telegram proves an update with a shared secret header, not a signature of the body: the kit skips its facts
/// about a changed or corrupted body (SignatureCoversBody false) and still checks a missing or wrong secret.
/// </summary>
public sealed class TelegramConformanceTests() : ChannelPluginConformanceTests(
    new TelegramChannelPlugin(),
    TelegramTestInstance.ValidSettings(),
    ["BotToken", "SecretToken"])
{
    protected override WebhookSamples Webhook => new()
    {
        Path = "webhook",
        ContentType = "application/json",
        SingleMessage = TelegramTestInstance.LoadPayload("message.json"),
        // One update per request: no batch.
        Batch = null,
        Sign = (_, _) => TelegramTestInstance.Sign(),
        SignatureCoversBody = false,
        MaxBodyBytes = 1024 * 1024,
    };

    /// <summary>A Telegram user id (their private chat's id), as the Bot API addresses a message.</summary>
    protected override ChannelRecipient SendRecipient => new() { ExternalId = TelegramTestInstance.Customer };

    /// <summary>The Bot API takes no idempotency key.</summary>
    protected override bool SendsIdempotencyKey => false;

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeTelegramServer.StartAsync(TelegramTestInstance.BotToken, TestContext.Current.CancellationToken);
}

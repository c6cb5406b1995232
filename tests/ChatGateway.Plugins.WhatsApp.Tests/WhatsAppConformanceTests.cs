using ChatGateway.Abstractions;
using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>The WhatsApp plugin against what the gateway expects of every channel plugin.</summary>
public sealed class WhatsAppConformanceTests() : ChannelPluginConformanceTests(
    new WhatsAppChannelPlugin(),
    WhatsAppTestInstance.ValidSettings(),
    ["AppSecret", "VerifyToken", "AccessToken", "PhoneNumberId"])
{
    protected override WebhookSamples Webhook => new()
    {
        Path = "webhook",
        ContentType = "application/json",
        SingleMessage = WhatsAppTestInstance.LoadPayload("message.json"),
        Batch = WhatsAppTestInstance.LoadPayload("batch.json"),
        BatchMessages = 3,
        Sign = (_, body) => WhatsAppTestInstance.Sign(body),
        MaxBodyBytes = 1024 * 1024,
    };

    // Graph takes no idempotency key.
    protected override bool SendsIdempotencyKey => false;

    protected override ChannelRecipient SendRecipient => new() { ExternalId = "15005550006", Phone = "+15005550006" };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() => await WhatsAppTestInstance.StartFakeAsync();
}

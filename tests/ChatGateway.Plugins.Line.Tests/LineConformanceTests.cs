using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Line.Tests;

/// <summary>The LINE plugin against what the gateway expects of every channel plugin, with LINE's own payloads and a fake LINE.</summary>
public sealed class LineConformanceTests() : ChannelPluginConformanceTests(
    new LineChannelPlugin(),
    LineTestInstance.ValidSettings(),
    ["ChannelSecret", "ChannelAccessToken"])
{
    protected override WebhookSamples Webhook => new()
    {
        Path = "webhook",
        ContentType = "application/json",
        SingleMessage = LineTestInstance.LoadPayload("message.json"),
        Batch = LineTestInstance.LoadPayload("batch.json"),
        BatchMessages = 3,
        Sign = (_, body) => LineTestInstance.Sign(body),
        MaxBodyBytes = 1024 * 1024,
    };

    /// <summary>A user id, as LINE addresses a push.</summary>
    protected override ChatGateway.Abstractions.ChannelRecipient SendRecipient => new() { ExternalId = "U4af4980629a0b5f0e7a5e2b6d8c7f1a2" };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeLineServer.StartAsync(LineTestInstance.ChannelAccessToken, TestContext.Current.CancellationToken);
}

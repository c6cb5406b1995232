using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.Line.Tests;

/// <summary>The Line plugin against what the gateway expects of every channel plugin.</summary>
public sealed class LineConformanceTests() : ChannelPluginConformanceTests(
    new LineChannelPlugin(),
    LineTestInstance.ValidSettings(),
    ["ChannelSecret", "AccessToken", "ApiBaseAddress"])
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

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeLineApi.StartAsync(TestContext.Current.CancellationToken);
}

using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.ChannelTemplate.Tests;

/// <summary>The ChannelTemplate plugin against what the gateway expects of every channel plugin.</summary>
public sealed class ChannelTemplateConformanceTests() : ChannelPluginConformanceTests(
    new ChannelTemplateChannelPlugin(),
    ChannelTemplateTestInstance.ValidSettings(),
    ["ChannelSecret", "AccessToken", "ApiBaseAddress"])
{
    protected override WebhookSamples Webhook => new()
    {
        Path = "webhook",
        ContentType = "application/json",
        SingleMessage = ChannelTemplateTestInstance.LoadPayload("message.json"),
        Batch = ChannelTemplateTestInstance.LoadPayload("batch.json"),
        BatchMessages = 3,
        Sign = (_, body) => ChannelTemplateTestInstance.Sign(body),
        MaxBodyBytes = 1024 * 1024,
    };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeChannelTemplateApi.StartAsync(TestContext.Current.CancellationToken);
}

using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>The WeChat plugin against what the gateway expects of every channel plugin.</summary>
public sealed class WeChatConformanceTests() : ChannelPluginConformanceTests(
    new WeChatChannelPlugin(),
    WeChatTestInstance.ValidSettings(),
    ["ChannelSecret", "AccessToken", "ApiBaseAddress"])
{
    protected override WebhookSamples Webhook => new()
    {
        Path = "webhook",
        ContentType = "application/json",
        SingleMessage = WeChatTestInstance.LoadPayload("message.json"),
        Batch = WeChatTestInstance.LoadPayload("batch.json"),
        BatchMessages = 3,
        Sign = (_, body) => WeChatTestInstance.Sign(body),
        MaxBodyBytes = 1024 * 1024,
    };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeWeChatApi.StartAsync(TestContext.Current.CancellationToken);
}

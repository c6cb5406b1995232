using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>
/// The WeChat plugin against what the gateway expects of every channel plugin. The kit's webhook part is not used:
/// WeChat signs in the query string (and in plaintext mode over token, timestamp and nonce only, not the body), which
/// <see cref="WebhookSamples.Sign"/> (headers for a fixed URL) cannot express; <see cref="WeChatWebhookTests"/> covers
/// those behaviours on the real endpoint instead.
/// </summary>
public sealed class WeChatConformanceTests() : ChannelPluginConformanceTests(
    new WeChatChannelPlugin(),
    WeChatTestInstance.ValidSettings(),
    ["AppId", "AppSecret", "Token"])
{
    protected override bool SendsIdempotencyKey => false;

    protected override ChannelRecipient SendRecipient => new() { ExternalId = WeChatTestInstance.OpenId };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeWeChatServer.StartAsync(WeChatTestInstance.AppId, WeChatTestInstance.AppSecret, TestContext.Current.CancellationToken);
}

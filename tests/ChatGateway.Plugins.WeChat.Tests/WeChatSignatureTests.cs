using ChatGateway.Plugins.WeChat.Webhooks;

namespace ChatGateway.Plugins.WeChat.Tests;

public sealed class WeChatSignatureTests
{
    [Fact]
    public void Signature_OfTheExactBody_IsValid_AndNothingElseIs()
    {
        var body = WeChatTestInstance.LoadPayload("message.json");
        var signature = WeChatSignature.Compute(WeChatTestInstance.ChannelSecret, body);

        Assert.True(WeChatSignature.IsValid(WeChatTestInstance.ChannelSecret, body, signature));
        Assert.False(WeChatSignature.IsValid("another-secret", body, signature));
        Assert.False(WeChatSignature.IsValid(WeChatTestInstance.ChannelSecret, [.. body, (byte)' '], signature));
        Assert.False(WeChatSignature.IsValid(WeChatTestInstance.ChannelSecret, body, "not base64!"));
        Assert.False(WeChatSignature.IsValid(WeChatTestInstance.ChannelSecret, body, null));
    }
}

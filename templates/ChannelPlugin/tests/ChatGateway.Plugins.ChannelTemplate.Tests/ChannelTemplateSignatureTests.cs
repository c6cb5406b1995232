using ChatGateway.Plugins.ChannelTemplate.Webhooks;

namespace ChatGateway.Plugins.ChannelTemplate.Tests;

public sealed class ChannelTemplateSignatureTests
{
    [Fact]
    public void Signature_OfTheExactBody_IsValid_AndNothingElseIs()
    {
        var body = ChannelTemplateTestInstance.LoadPayload("message.json");
        var signature = ChannelTemplateSignature.Compute(ChannelTemplateTestInstance.ChannelSecret, body);

        Assert.True(ChannelTemplateSignature.IsValid(ChannelTemplateTestInstance.ChannelSecret, body, signature));
        Assert.False(ChannelTemplateSignature.IsValid("another-secret", body, signature));
        Assert.False(ChannelTemplateSignature.IsValid(ChannelTemplateTestInstance.ChannelSecret, [.. body, (byte)' '], signature));
        Assert.False(ChannelTemplateSignature.IsValid(ChannelTemplateTestInstance.ChannelSecret, body, "not base64!"));
        Assert.False(ChannelTemplateSignature.IsValid(ChannelTemplateTestInstance.ChannelSecret, body, null));
    }
}

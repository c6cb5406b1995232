using ChatGateway.Plugins.Line.Webhooks;

namespace ChatGateway.Plugins.Line.Tests;

public sealed class LineSignatureTests
{
    [Fact]
    public void Signature_OfTheExactBody_IsValid_AndNothingElseIs()
    {
        var body = LineTestInstance.LoadPayload("message.json");
        var signature = LineSignature.Compute(LineTestInstance.ChannelSecret, body);

        Assert.True(LineSignature.IsValid(LineTestInstance.ChannelSecret, body, signature));
        Assert.False(LineSignature.IsValid("another-secret", body, signature));
        Assert.False(LineSignature.IsValid(LineTestInstance.ChannelSecret, [.. body, (byte)' '], signature));
        Assert.False(LineSignature.IsValid(LineTestInstance.ChannelSecret, body, "not base64!"));
        Assert.False(LineSignature.IsValid(LineTestInstance.ChannelSecret, body, null));
    }
}

using ChatGateway.Plugins.WhatsApp.Webhooks;

namespace ChatGateway.Plugins.WhatsApp.Tests;

public sealed class WhatsAppSignatureTests
{
    [Fact]
    public void Signature_OfTheExactBody_IsValid_AndNothingElseIs()
    {
        var body = WhatsAppTestInstance.LoadPayload("message.json");
        var signature = WhatsAppSignature.Compute(WhatsAppTestInstance.ChannelSecret, body);

        Assert.True(WhatsAppSignature.IsValid(WhatsAppTestInstance.ChannelSecret, body, signature));
        Assert.False(WhatsAppSignature.IsValid("another-secret", body, signature));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.ChannelSecret, [.. body, (byte)' '], signature));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.ChannelSecret, body, "not base64!"));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.ChannelSecret, body, null));
    }
}

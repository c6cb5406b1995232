using System.Text;

using ChatGateway.Plugins.WhatsApp.Webhooks;

namespace ChatGateway.Plugins.WhatsApp.Tests;

public sealed class WhatsAppSignatureTests
{
    [Fact]
    public void Compute_FixedVector_IsMetasSha256Hex()
    {
        Assert.Equal("sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914", WhatsAppSignature.Compute("secret", Encoding.UTF8.GetBytes("test")));
        Assert.True(WhatsAppSignature.IsValid("secret", Encoding.UTF8.GetBytes("test"), "sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914"));
    }

    [Fact]
    public void IsValid_OfTheExactBody_IsTrue_AndNothingElseIs()
    {
        var body = WhatsAppTestInstance.LoadPayload("message.json");
        var signature = WhatsAppSignature.Compute(WhatsAppTestInstance.AppSecret, body);

        Assert.True(WhatsAppSignature.IsValid(WhatsAppTestInstance.AppSecret, body, signature));
        Assert.False(WhatsAppSignature.IsValid("another-secret", body, signature));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.AppSecret, [.. body, (byte)' '], signature));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.AppSecret, body, signature[7..]));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.AppSecret, body, "sha1=" + signature[7..]));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.AppSecret, body, "sha256=" + new string('z', 64)));
        Assert.False(WhatsAppSignature.IsValid(WhatsAppTestInstance.AppSecret, body, null));
    }
}

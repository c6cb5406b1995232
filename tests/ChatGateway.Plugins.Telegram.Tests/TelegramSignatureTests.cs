using ChatGateway.Plugins.Telegram.Webhooks;

namespace ChatGateway.Plugins.Telegram.Tests;

public sealed class TelegramSignatureTests
{
    [Fact]
    public void Signature_OfTheExactBody_IsValid_AndNothingElseIs()
    {
        var body = TelegramTestInstance.LoadPayload("message.json");
        var signature = TelegramSignature.Compute(TelegramTestInstance.ChannelSecret, body);

        Assert.True(TelegramSignature.IsValid(TelegramTestInstance.ChannelSecret, body, signature));
        Assert.False(TelegramSignature.IsValid("another-secret", body, signature));
        Assert.False(TelegramSignature.IsValid(TelegramTestInstance.ChannelSecret, [.. body, (byte)' '], signature));
        Assert.False(TelegramSignature.IsValid(TelegramTestInstance.ChannelSecret, body, "not base64!"));
        Assert.False(TelegramSignature.IsValid(TelegramTestInstance.ChannelSecret, body, null));
    }
}

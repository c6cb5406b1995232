using System.Text;

using ChatGateway.Plugins.WeChat.Webhooks;

namespace ChatGateway.Plugins.WeChat.Tests;

public sealed class WeChatSignatureTests
{
    [Fact]
    public void Compute_DocumentedVector_GivesWeChatsSignature() =>
        Assert.Equal("f43b4a6571a6552356f482636e5a77e7fa33dcc9", WeChatSignature.Compute("token", "1409304348", "xxxxxx"));

    [Fact]
    public void FakeWeChatsSigner_DocumentedVector_IsTheSame() =>
        Assert.Equal("f43b4a6571a6552356f482636e5a77e7fa33dcc9", ChatGateway.Testing.FakeWeChatServer.Sign("token", "1409304348", "xxxxxx"));

    [Fact]
    public void IsValid_OtherTimestamp_IsFalse()
    {
        Assert.True(WeChatSignature.IsValid("f43b4a6571a6552356f482636e5a77e7fa33dcc9", "token", "1409304348", "xxxxxx"));
        Assert.False(WeChatSignature.IsValid("f43b4a6571a6552356f482636e5a77e7fa33dcc9", "token", "1409304349", "xxxxxx"));
        Assert.False(WeChatSignature.IsValid("", "token", "1409304348", "xxxxxx"));
    }

    [Fact]
    public void Decrypt_WhatWeChatEncrypted_GivesTheXmlBack()
    {
        var xml = Encoding.UTF8.GetBytes("<xml><Content>你好</Content></xml>");
        var encrypted = WeChatCrypto.Encrypt(WeChatTestInstance.EncodingAESKey, WeChatTestInstance.AppId, xml);

        // Padded to 32-byte blocks, as WeChat pads (not AES's 16).
        Assert.Equal(0, Convert.FromBase64String(encrypted).Length % 32);
        var (plain, error) = WeChatCrypto.Decrypt(WeChatTestInstance.EncodingAESKey, WeChatTestInstance.AppId, encrypted);
        Assert.Null(error);
        Assert.Equal(xml, plain);
    }

    [Fact]
    public void Decrypt_ForAnotherAppId_IsRefused()
    {
        var encrypted = WeChatCrypto.Encrypt(WeChatTestInstance.EncodingAESKey, "wx0000000000000000", Encoding.UTF8.GetBytes("<xml/>"));

        var (plain, error) = WeChatCrypto.Decrypt(WeChatTestInstance.EncodingAESKey, WeChatTestInstance.AppId, encrypted);

        Assert.Null(plain);
        Assert.Contains("AppId", error, StringComparison.Ordinal);
    }
}

using ChatGateway.Abstractions;
using ChatGateway.Plugins.WeChat.Webhooks;

namespace ChatGateway.Plugins.WeChat.Tests;

public sealed class WeChatMapperTests
{
    private static WeChatInbound Map(string payload)
    {
        var (fields, error) = WeChatXml.Read(WeChatTestInstance.LoadPayload(payload));
        Assert.Null(error);
        var (inbound, mapError) = WeChatMapper.ToInbound(fields!);
        Assert.Null(mapError);
        return inbound!;
    }

    [Fact]
    public void Text_IsTheContentFromTheOpenIdWithItsMsgId()
    {
        var message = Map("text.xml").Message!;

        Assert.Equal("我的订单 7C1E 到哪里了?", message.Text);
        Assert.Equal(WeChatTestInstance.OpenId, message.Sender.ExternalId);
        Assert.Null(message.Sender.Phone);
        Assert.Equal("24602479311234567", message.ProviderMessageId);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), message.SentAt);
    }

    [Fact]
    public void Image_AsksForItsMedia()
    {
        var inbound = Map("image.xml");

        Assert.Equal("media-photo-1", inbound.MediaId);
        Assert.Equal("", inbound.Message!.Text);
    }

    [Fact]
    public void Voice_KeepsWeChatsRecognitionAndAsksForTheRecording()
    {
        var inbound = Map("voice.xml");

        Assert.Equal("我要退货", inbound.Message!.Text);
        Assert.Equal("media-voice-1", inbound.MediaId);
        Assert.Equal("voice.amr", inbound.MediaFileName);
    }

    [Fact]
    public void Location_IsTextWithLabelAndCoordinates() =>
        Assert.Equal("[location] 广州市天河区 (23.134521, 113.358803)", Map("location.xml").Message!.Text);

    [Fact]
    public void Link_IsTextWithTitleAndUrl() =>
        Assert.Equal("[link] Order 7C1E https://shop.example/orders/7C1E", Map("link.xml").Message!.Text);

    [Fact]
    public void MenuClick_IsAMessageNamingTheKey()
    {
        var message = Map("click.xml").Message!;

        Assert.Equal("[menu] ORDER_STATUS", message.Text);
        Assert.Contains(WeChatTestInstance.OpenId, message.ProviderMessageId, StringComparison.Ordinal);
        Assert.Contains("1765000005", message.ProviderMessageId, StringComparison.Ordinal);
    }

    [Fact]
    public void Subscribe_StoresNothing()
    {
        var inbound = Map("subscribe.xml");

        Assert.Null(inbound.Message);
        Assert.Null(inbound.Unsubscribed);
    }

    [Fact]
    public void SubscribeByQrCode_IsAMessageWithTheSceneAsItsOrigin()
    {
        var message = Map("subscribe-qrscene.xml").Message!;

        Assert.Equal(new MessageOrigin { Kind = "qr-code", Reference = "123" }, message.Origin);
        Assert.Equal("[followed via QR code] 123", message.Text);
        // An event, not the customer's words: kept for when they write, no agent's conversation opened by it.
        Assert.True(message.AutoSubmitted);
    }

    [Fact]
    public void ScanByAFollower_IsAMessageWithTheSceneAsItsOrigin()
    {
        var message = Map("scan.xml").Message!;

        Assert.Equal(new MessageOrigin { Kind = "qr-code", Reference = "123" }, message.Origin);
        Assert.Null(message.Unsupported);
        Assert.True(message.AutoSubmitted);
    }

    [Fact]
    public void Text_HasNoOrigin() => Assert.Null(Map("text.xml").Message!.Origin);

    [Theory]
    [InlineData("zh_CN", "zh-CN")]
    [InlineData("zh_TW", "zh-TW")]
    [InlineData("en", "en")]
    [InlineData("", null)]
    [InlineData("zh CN<script>", null)]
    public void LanguageTag_FromWeChatsLanguage(string language, string? expected) =>
        Assert.Equal(expected, WeChatMapper.ToLanguageTag(language));

    [Fact]
    public void Unsubscribe_NamesTheOpenId()
    {
        var inbound = Map("unsubscribe.xml");

        Assert.Null(inbound.Message);
        Assert.Equal(WeChatTestInstance.OpenId, inbound.Unsubscribed);
    }

    [Fact]
    public void UnknownType_IsUnsupportedContentNotDropped()
    {
        var message = Map("video.xml").Message!;

        Assert.Equal("video", message.Unsupported!.Kind);
        Assert.Equal("24602479311234572", message.ProviderMessageId);
    }

    [Theory]
    [InlineData("xxe.xml")]
    [InlineData("billion-laughs.xml")]
    public void DtdPayloads_AreRefusedNotExpanded(string payload)
    {
        var (fields, error) = WeChatXml.Read(WeChatTestInstance.LoadPayload(payload));

        Assert.Null(fields);
        Assert.NotNull(error);
    }

    [Fact]
    public void ErrorText_DropsWeChatsRequestHint() =>
        Assert.Equal("invalid openid", WeChatMapper.ErrorText("invalid openid rid: 6571a6552356f48"));
}

using ChatGateway.Abstractions;

using static ChatGateway.Plugins.WhatsApp.Tests.WhatsAppTestInstance;

namespace ChatGateway.Plugins.WhatsApp.Tests;

public sealed class WhatsAppMapperTests
{
    [Fact]
    public void ToWebhook_TextMessage_MapsIdSenderPhoneNameTextAndTime()
    {
        var (webhook, error) = WhatsAppMapper.ToWebhook(LoadPayload("message.json"), PhoneNumberId);

        Assert.Null(error);
        var inbound = Assert.Single(webhook!.Messages);
        var message = inbound.Message;
        Assert.Equal("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQTdBNjE3MDE0QzlFNjI3RkQ2NwA=", message.ProviderMessageId);
        Assert.Equal(("15551234567", "+15551234567", "Mei Lin"), (message.Sender.ExternalId, message.Sender.Phone, message.Sender.DisplayName));
        Assert.Equal("Hello, where is my order 1001?", message.Text);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), message.SentAt);
        Assert.Null(message.Unsupported);
        Assert.Null(message.Origin);
        Assert.Null(inbound.Media);
    }

    [Theory]
    [InlineData("post", "https://www.facebook.com/shop/posts/1234", "post", "https://www.facebook.com/shop/posts/1234")]
    [InlineData("ad", "javascript:alert(1)", "ad", null)]
    [InlineData("ad", "ftp://example.com/ad", "ad", null)]
    [InlineData("something_new", "http://example.com/ad", "ad", "http://example.com/ad")]
    public void ToWebhook_Referral_BecomesTheOrigin_PostOrAd_WebAddressesOnly(string sourceType, string sourceUrl, string kind, string? url)
    {
        var body = Utf8($$$$"""{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"{{{{PhoneNumberId}}}}"},"messages":[{"referral":{"source_url":"{{{{sourceUrl}}}}","source_id":"98765","source_type":"{{{{sourceType}}}}","headline":"New arrivals","body":"Ask us"},"from":"15551234567","id":"w1","type":"text","text":{"body":"Hello"}}]}}]}]}""");

        var (webhook, _) = WhatsAppMapper.ToWebhook(body, PhoneNumberId);

        Assert.Equal(new MessageOrigin { Kind = kind, Reference = "98765", Url = url, Title = "New arrivals" }, Assert.Single(webhook!.Messages).Message.Origin);
    }

    [Fact]
    public void ToWebhook_Batch_KeepsTheMessagesInOrderWithEachSendersName()
    {
        var (webhook, _) = WhatsAppMapper.ToWebhook(LoadPayload("batch.json"), PhoneNumberId);

        Assert.Equal(["Mei Lin", "Ravi Patel", "Mei Lin"], webhook!.Messages.Select(m => m.Message.Sender.DisplayName));
        Assert.Equal(["Order 1001 again", "Thanks!"], webhook.Messages.Where(m => m.Message.Sender.ExternalId == "15551234567").Select(m => m.Message.Text));
    }

    [Fact]
    public void ToWebhook_Location_BecomesTextWithNameAddressAndCoordinates()
    {
        var (webhook, _) = WhatsAppMapper.ToWebhook(LoadPayload("batch.json"), PhoneNumberId);

        var text = webhook!.Messages[1].Message.Text;
        Assert.Equal("Location: Main pickup point\n1 Hacker Way, Menlo Park, CA 94025\n37.483307,-122.148981 (https://maps.google.com/?q=37.483307,-122.148981)", text);
    }

    [Fact]
    public void ToWebhook_MediaMessages_CarryTheMediaIdCaptionAndFileName()
    {
        var (webhook, error) = WhatsAppMapper.ToWebhook(LoadPayload("media-and-others.json"), PhoneNumberId);

        Assert.Null(error);
        var byId = webhook!.Messages.ToDictionary(m => m.Message.ProviderMessageId);
        Assert.Equal(new WhatsAppMedia("1003383421387256", "image", null, "image/jpeg"), byId["wamid.IMAGE1"].Media);
        Assert.Equal("The box arrived like this", byId["wamid.IMAGE1"].Message.Text);
        Assert.Equal(new WhatsAppMedia("1003383421387257", "document", "receipt.pdf", "application/pdf"), byId["wamid.DOC1"].Media);
        Assert.Equal("My receipt", byId["wamid.DOC1"].Message.Text);
        Assert.Equal(("1003383421387258", "audio", ""), (byId["wamid.AUDIO1"].Media!.Id, byId["wamid.AUDIO1"].Media!.Kind, byId["wamid.AUDIO1"].Message.Text));
    }

    [Fact]
    public void ToWebhook_OtherTypes_BecomeUnsupportedContentInsteadOfVanishing()
    {
        var (webhook, _) = WhatsAppMapper.ToWebhook(LoadPayload("media-and-others.json"), PhoneNumberId);

        var unsupported = webhook!.Messages.Where(m => m.Message.Unsupported is not null)
            .ToDictionary(m => m.Message.ProviderMessageId, m => m.Message.Unsupported!);
        Assert.Equal(4, unsupported.Count);
        Assert.Equal(new UnsupportedContent { Kind = "sticker" }, unsupported["wamid.STICKER1"]);
        Assert.Equal(new UnsupportedContent { Kind = "reaction", Summary = "reacted 👍 to a message" }, unsupported["wamid.REACTION1"]);
        Assert.Equal(new UnsupportedContent { Kind = "contacts", Summary = "Ana Souza" }, unsupported["wamid.CONTACTS1"]);
        Assert.Equal(new UnsupportedContent { Kind = "unsupported", Summary = "Message type unknown" }, unsupported["wamid.UNKNOWN1"]);
        Assert.All(unsupported.Keys, id => Assert.Null(webhook.Messages.Single(m => m.Message.ProviderMessageId == id).Media));
    }

    [Fact]
    public void ToWebhook_InteractiveAndFutureTypes_AreUnsupportedWithWhatCanBeSaid()
    {
        var body = Utf8($$$$"""{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"{{{{PhoneNumberId}}}}"},"messages":[{"from":"15551234567","id":"w1","type":"interactive","interactive":{"type":"button_reply","button_reply":{"id":"b1","title":"Track my order"}}},{"from":"15551234567","id":"w2","type":"order_v9","order_v9":{}}]}}]}]}""");

        var (webhook, _) = WhatsAppMapper.ToWebhook(body, PhoneNumberId);

        Assert.Equal([("interactive", "Track my order"), ("order_v9", null)], webhook!.Messages.Select(m => (m.Message.Unsupported!.Kind, m.Message.Unsupported.Summary)));
    }

    [Fact]
    public void ToWebhook_Statuses_BecomeDeliveryReports_ReadCountsAsDelivered()
    {
        var (webhook, _) = WhatsAppMapper.ToWebhook(LoadPayload("statuses.json"), PhoneNumberId);

        Assert.Empty(webhook!.Messages);
        Assert.Equal(
            [
                new DeliveryStatusUpdate("wamid.OUT1", DeliveryStatus.Sent),
                new DeliveryStatusUpdate("wamid.OUT1", DeliveryStatus.Delivered),
                new DeliveryStatusUpdate("wamid.OUT2", DeliveryStatus.Delivered),
                new DeliveryStatusUpdate("wamid.OUT3", DeliveryStatus.Failed, "Message undeliverable (code 131026)"),
                new DeliveryStatusUpdate("wamid.OUT4", DeliveryStatus.Failed, "the 24-hour customer service window is closed: use a template or another channel"),
            ],
            webhook.Statuses);
    }

    [Fact]
    public void ToWebhook_AnotherPhoneNumberId_IsPassedOver()
    {
        var (webhook, error) = WhatsAppMapper.ToWebhook(LoadPayload("batch.json"), "999999999999999");

        Assert.Null(error);
        Assert.Empty(webhook!.Messages);
        Assert.Equal(1, webhook.Ignored);
    }

    [Theory]
    [InlineData("""{"entry":{}}""", "entry is required")]
    [InlineData("""{"entry":[{"changes":[{"field":"messages"}]}]}""", "entry[0].changes[0].value is required")]
    [InlineData("""{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"id":"w","type":"text","text":{"body":"x"}}]}}]}]}""", "entry[0].changes[0].value.messages[0].from is required")]
    [InlineData("""{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"from":"1","id":"w","type":"text","text":{}}]}}]}]}""", "text.body is required")]
    [InlineData("""{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"from":"1","id":"w","type":"image","image":{}}]}}]}]}""", "image.id is required")]
    [InlineData("""{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"106540352242922"},"messages":[{"from":"1","id":"w","timestamp":"soon","type":"text","text":{"body":"x"}}]}}]}]}""", "timestamp must be Unix seconds")]
    [InlineData("""{"entry":[],"entry":[]}""", "not valid JSON (or repeats a property)")]
    public void ToWebhook_MalformedBody_SaysWhatIsWrong(string json, string expected)
    {
        var (webhook, error) = WhatsAppMapper.ToWebhook(Utf8(json), PhoneNumberId);

        Assert.Null(webhook);
        Assert.Contains(expected, error);
    }
}

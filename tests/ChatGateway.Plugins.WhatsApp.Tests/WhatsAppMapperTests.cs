namespace ChatGateway.Plugins.WhatsApp.Tests;

public sealed class WhatsAppMapperTests
{
    [Fact]
    public void ToInboundMessages_MessageEvent_MapsIdSenderTextAndTime()
    {
        var (messages, error) = WhatsAppMapper.ToInboundMessages(WhatsAppTestInstance.LoadPayload("message.json"));

        Assert.Null(error);
        var message = Assert.Single(messages!);
        Assert.Equal("evt-5f1c0a", message.ProviderMessageId);
        Assert.Equal(("user-8d2e", "Mei Lin"), (message.Sender.ExternalId, message.Sender.DisplayName));
        Assert.Equal("Hello, where is my order 1001?", message.Text);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1765000000000), message.SentAt);
        Assert.Null(message.Unsupported);
    }

    [Fact]
    public void ToInboundMessages_Batch_KeepsTheEventsInOrder()
    {
        var (messages, _) = WhatsAppMapper.ToInboundMessages(WhatsAppTestInstance.LoadPayload("batch.json"));

        Assert.Equal(["evt-7a01", "evt-7a02", "evt-7a03"], messages!.Select(m => m.ProviderMessageId));
    }

    [Fact]
    public void ToInboundMessages_UnknownEventType_BecomesUnsupportedContentInsteadOfVanishing()
    {
        var body = WhatsAppTestInstance.Utf8("""{"events":[{"type":"Sticker","id":"evt-9","from":{"id":"user-1"}}]}""");

        var (messages, error) = WhatsAppMapper.ToInboundMessages(body);

        Assert.Null(error);
        var message = Assert.Single(messages!);
        Assert.Equal("sticker", message.Unsupported?.Kind);
        Assert.Equal("", message.Text);
    }

    [Theory]
    [InlineData("""{"events":{}}""", "events is required")]
    [InlineData("""{"events":[{"type":"message","id":"e","from":{"id":"u"}}]}""", "events[0].text is required")]
    [InlineData("""{"events":[{"type":"message","from":{"id":"u"},"text":"x"}]}""", "events[0].id is required")]
    [InlineData("""{"events":[{"type":"message","id":"e","text":"x"}]}""", "events[0].from.id is required")]
    [InlineData("""{"events":[{"type":"message","id":"e","id":"f","from":{"id":"u"},"text":"x"}]}""", "not valid JSON (or repeats a property)")]
    public void ToInboundMessages_MalformedBody_SaysWhatIsWrong(string json, string expected)
    {
        var (messages, error) = WhatsAppMapper.ToInboundMessages(WhatsAppTestInstance.Utf8(json));

        Assert.Null(messages);
        Assert.Contains(expected, error);
    }
}

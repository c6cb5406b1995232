using ChatGateway.Abstractions;

using static ChatGateway.Plugins.Line.Tests.LineTestInstance;

namespace ChatGateway.Plugins.Line.Tests;

/// <summary>
/// LINE's webhook events to the common model, and agents' text to LINE's messages. Bad inputs tried: events not an array,
/// an event without timestamp, a message without id or text, a source of an unknown type or without its id, a repeated
/// property.
/// </summary>
public sealed class LineMapperTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1765000000000);
    private static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(50);

    private static LineEvent Single(params string[] events)
    {
        var (mapped, _, error) = LineMapper.ToEvents(Body(events), Now, Lifetime);
        Assert.Null(error);
        return Assert.Single(mapped!);
    }

    [Fact]
    public void ToEvents_TextFromAUser_MapsTheMessageIdSenderTextTimeAndReplyToken()
    {
        var (events, ignored, error) = LineMapper.ToEvents(LoadPayload("message.json"), Now.AddSeconds(2), Lifetime);

        Assert.Null(error);
        Assert.Equal(0, ignored);
        var lineEvent = Assert.Single(events!);
        var message = lineEvent.Message;
        Assert.Equal("468789577898262530", message.ProviderMessageId);
        Assert.Equal("U4af4980629a0b5f0e7a5e2b6d8c7f1a2", message.Sender.ExternalId);
        Assert.Equal("請問訂單 1001 什麼時候出貨？", message.Text);
        Assert.Equal(Now, message.SentAt);
        Assert.Null(message.Chat);
        // The token's life counts from the event, not from when the webhook arrived.
        Assert.Equal(new ReplyContext { Value = "38ef843bde154d9b91c21320ffd7a6ed", ExpiresAt = Now + Lifetime, SingleUse = true }, message.ReplyContext);
        Assert.Null(lineEvent.Content);
    }

    [Fact]
    public void ToEvents_Batch_KeepsTheEventsInOrder_TheStickerAsUnsupported_TheGroupAsTheChat()
    {
        var (events, _, error) = LineMapper.ToEvents(LoadPayload("batch.json"), Now, Lifetime);

        Assert.Null(error);
        Assert.Equal(["468789577898262531", "468789577898262532", "468789577898262533"], events!.Select(e => e.Message.ProviderMessageId));
        Assert.Equal(new UnsupportedContent { Kind = "sticker", Summary = "cony, sally, Thank you, tnx, thanks" }, events![1].Message.Unsupported);
        Assert.Equal("", events[1].Message.Text);
        var group = events[2].Message;
        Assert.Equal(new ChannelChat { ExternalId = "Ca56f94637c9f2a3b8e1d6c5b4a39f0e1", Kind = ChatKind.Group }, group.Chat);
        Assert.Equal("U77b2c0f3e4d5a6b7c8d9e0f1a2b3c4d5", group.Sender.ExternalId);
    }

    [Fact]
    public void ToEvents_MessageSticker_ShowsItsOwnText()
    {
        var message = Single(MessageEvent("""{"type":"sticker","id":"m1","packageId":"789","stickerId":"10855","stickerResourceType":"MESSAGE","keywords":["hi"],"text":"Let's hang out this weekend!"}""", User("U1"), Now)).Message;

        Assert.Equal(new UnsupportedContent { Kind = "sticker", Summary = "Let's hang out this weekend!" }, message.Unsupported);
    }

    [Fact]
    public void ToEvents_Image_IsContentToFetchByItsMessageId()
    {
        var lineEvent = Single(MessageEvent("""{"type":"image","id":"354718705033693859","quoteToken":"q","contentProvider":{"type":"line"},"imageSet":{"id":"E005D41A","index":1,"total":2}}""", User("U1"), Now));

        Assert.Equal(new LineContent("354718705033693859", "image", "line-image-354718705033693859.jpg"), lineEvent.Content);
        Assert.Null(lineEvent.Message.Unsupported);
    }

    [Fact]
    public void ToEvents_File_KeepsItsName_AndAnImageHostedElsewhere_IsShownAsSuch()
    {
        var file = Single(MessageEvent("""{"type":"file","id":"m2","fileName":"invoice.pdf","fileSize":2138}""", User("U1"), Now));
        var external = Single(MessageEvent("""{"type":"image","id":"m3","contentProvider":{"type":"external","originalContentUrl":"https://example.com/a.jpg"}}""", User("U1"), Now));

        Assert.Equal(new LineContent("m2", "file", "invoice.pdf"), file.Content);
        Assert.Null(external.Content);
        Assert.Equal(new UnsupportedContent { Kind = "image", Summary = "hosted outside LINE: https://example.com/a.jpg" }, external.Message.Unsupported);
    }

    [Fact]
    public void ToEvents_Location_BecomesTextWithTheAddressAndCoordinates()
    {
        var message = Single(MessageEvent("""{"type":"location","id":"m4","title":"7-Eleven 信義店","address":"台北市信義區松高路 1 號","latitude":25.0375,"longitude":121.5637}""", User("U1"), Now)).Message;

        Assert.Equal("Location: 7-Eleven 信義店 台北市信義區松高路 1 號 (25.0375, 121.5637)", message.Text);
    }

    [Fact]
    public void ToEvents_AMessageKindThePluginDoesNotKnow_BecomesUnsupportedContentInsteadOfVanishing()
    {
        var message = Single(MessageEvent("""{"type":"hologram","id":"m5"}""", User("U1"), Now)).Message;

        Assert.Equal(new UnsupportedContent { Kind = "hologram" }, message.Unsupported);
        Assert.Equal("m5", message.ProviderMessageId);
    }

    [Fact]
    public void ToEvents_RoomAndGroupWithoutUserId_AreTheirChats()
    {
        var room = Single(MessageEvent(Text("m6", "hi"), Room("Rroom1", "U2"), Now)).Message;
        var group = Single(MessageEvent(Text("m7", "hi"), Group("Cgroup1", null), Now));

        Assert.Equal((new ChannelChat { ExternalId = "Rroom1", Kind = ChatKind.Room }, "U2"), (room.Chat, room.Sender.ExternalId));
        // A member LINE does not name: the group speaks, and no member profile is asked for.
        Assert.Equal(("Cgroup1", null), (group.Message.Sender.ExternalId, group.UserId));
    }

    [Fact]
    public void ToEvents_StandbyMode_GivesNoReplyContext()
    {
        var message = Single(MessageEvent(Text("m8", "hi"), User("U1"), Now, mode: "standby")).Message;

        Assert.Null(message.ReplyContext);
        Assert.Equal("hi", message.Text);
    }

    [Fact]
    public void ToEvents_EventStampedAheadOfTheClock_TokenLivesFromNow()
    {
        var message = Single(MessageEvent(Text("m9", "hi"), User("U1"), Now.AddMinutes(3))).Message;

        Assert.Equal(Now + Lifetime, message.ReplyContext!.ExpiresAt);
    }

    [Fact]
    public void ToEvents_VerifyCallAndEventsOfOtherKinds_AreNoMessages()
    {
        var (none, _, verifyError) = LineMapper.ToEvents(Utf8("""{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[]}"""), Now, Lifetime);
        var follow = """{"type":"follow","timestamp":1765000000000,"source":{"type":"user","userId":"U1"},"replyToken":"abc","mode":"active","webhookEventId":"01H","deliveryContext":{"isRedelivery":false},"follow":{"isUnblocked":false}}""";
        var (events, ignored, error) = LineMapper.ToEvents(Body(follow, MessageEvent(Text("m10", "hi"), User("U1"), Now)), Now, Lifetime);

        Assert.Null(verifyError);
        Assert.Empty(none!);
        Assert.Null(error);
        Assert.Equal((1, "m10"), (ignored, Assert.Single(events!).Message.ProviderMessageId));
    }

    [Fact]
    public void ToEvents_Postback_IsShownWithItsData()
    {
        var postback = """{"type":"postback","postback":{"data":"action=track&order=1001"},"webhookEventId":"01HPOSTBACK","deliveryContext":{"isRedelivery":false},"timestamp":1765000000000,"source":{"type":"user","userId":"U1"},"replyToken":"abc","mode":"active"}""";

        var message = Single(postback).Message;

        Assert.Equal(("01HPOSTBACK", new UnsupportedContent { Kind = "postback", Summary = "action=track&order=1001" }), (message.ProviderMessageId, message.Unsupported));
    }

    [Theory]
    [InlineData("""{"events":{}}""", "events is required")]
    [InlineData("""{"events":[{"type":"message","message":{"type":"text","id":"1","text":"x"},"source":{"type":"user","userId":"U1"}}]}""", "events[0].timestamp is required")]
    [InlineData("""{"events":[{"type":"message","timestamp":1,"message":{"type":"text","text":"x"},"source":{"type":"user","userId":"U1"}}]}""", "events[0].message.id is required")]
    [InlineData("""{"events":[{"type":"message","timestamp":1,"message":{"type":"text","id":"1"},"source":{"type":"user","userId":"U1"}}]}""", "events[0].message.text is required")]
    [InlineData("""{"events":[{"type":"message","timestamp":1,"message":{"type":"text","id":"1","text":"x"},"source":{"type":"user"}}]}""", "events[0].source.userId is required")]
    [InlineData("""{"events":[{"type":"message","timestamp":1,"message":{"type":"text","id":"1","text":"x"},"source":{"type":"group","userId":"U1"}}]}""", "events[0].source.groupId is required")]
    [InlineData("""{"events":[{"type":"message","timestamp":1,"message":{"type":"text","id":"1","text":"x"},"source":{"type":"planet","userId":"U1"}}]}""", "events[0].source.type must be user, group or room")]
    [InlineData("""{"events":[{"type":"message","type":"message","timestamp":1}]}""", "not valid JSON (or repeats a property)")]
    public void ToEvents_MalformedBody_SaysWhatIsWrong(string json, string expected)
    {
        var (events, _, error) = LineMapper.ToEvents(Utf8(json), Now, Lifetime);

        Assert.Null(events);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void ToTextMessages_LongText_IsSplitIntoMessagesOf5000_NeverInsideASurrogatePair()
    {
        var text = new string('a', 4999) + "😀" + new string('b', 10);

        var messages = LineMapper.ToTextMessages(text)!;

        Assert.Equal([4999, 12], messages.Select(m => m.Text.Length));
        Assert.Equal(text, string.Concat(messages.Select(m => m.Text)));
        Assert.Null(LineMapper.ToTextMessages(new string('x', 5 * 5000 + 1)));
    }
}

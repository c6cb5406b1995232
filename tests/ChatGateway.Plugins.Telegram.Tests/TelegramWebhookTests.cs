using System.Net;
using System.Net.Http.Headers;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Telegram.Webhooks;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using static ChatGateway.Plugins.Telegram.Tests.TelegramTestInstance;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>
/// The real webhook (Kestrel, the instance's container) against a fake Bot API: the secret token header before anything
/// is read, updates mapped, photos and documents fetched (getFile, then the download) before the message is stored.
/// Bad inputs tried: no header, a wrong header, a malformed body with the right header, a download or getFile Telegram
/// fails (500, 502) once or every time, a file it no longer has (404), files too large for Telegram or the gateway, a
/// /start payload Telegram would not send, a my_chat_member without a user.
/// </summary>
public sealed class TelegramWebhookTests : IAsyncLifetime
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0xFF, 0xD9];
    private static readonly byte[] Pdf = "%PDF-1.4\n%%EOF\n"u8.ToArray();

    private FakeTelegramServer _telegram = null!;
    private ChannelInstanceContainer _container = null!;
    private ChannelEndpointHost _host = null!;

    private RecordingInboundSink Inbound => _container.Inbound;

    public async ValueTask InitializeAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        _telegram = await FakeTelegramServer.StartAsync(BotToken, ct);
        _container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram", ValidSettings(_telegram));
        _host = await ChannelEndpointHost.StartAsync(new TelegramChannelPlugin(), _container, ct);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _container.DisposeAsync();
        await _telegram.DisposeAsync();
    }

    private async Task<HttpStatusCode> PostAsync(byte[] body, string? secret = SecretToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.UrlFor(_container.Instance, "webhook")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (secret is not null)
        {
            request.Headers.Add(TelegramWebhookEndpoints.SecretHeader, secret);
        }

        using var response = await _host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    [Fact]
    public async Task Webhook_WithoutTheSecretHeader_Is401_WithAWrongOne403_AndNothingIsStored()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(LoadPayload("message.json"), secret: null));
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(LoadPayload("message.json"), secret: "test-secret-token_6b1e"));
        // Refused before the body is parsed: nonsense with a wrong header is 403, not 400.
        Assert.Equal(HttpStatusCode.Forbidden, await PostAsync(Utf8("{not json"), secret: "wrong"));

        Assert.Equal(0, Inbound.Calls);
        Assert.Empty(_container.Profiles.Updates);
    }

    [Fact]
    public async Task Webhook_MalformedUpdateWithTheRightHeader_Is400_AndNothingIsStored()
    {
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(Utf8("{not json")));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(Utf8("""{"message":{"message_id":1}}""")));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(Utf8("""{"update_id":1,"message":{"message_id":1,"from":{"id":5},"date":1765000000,"text":"hi"}}""")));

        Assert.Equal(0, Inbound.Calls);
    }

    [Fact]
    public async Task Text_IsStoredWithTheUsersNameAndChatScopedId_ThenTheirLanguageIsReported()
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(LoadPayload("message.json")));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal("5012345678:4512", message.ProviderMessageId);
        Assert.Equal(new ChannelSender { ExternalId = Customer, DisplayName = "Anna Schmidt", Language = "de" }, message.Sender);
        Assert.Equal("Hallo, ist das rote Kleid in M noch da?", message.Text);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), message.SentAt);
        Assert.Null(message.Chat);
        Assert.Equal("de", _container.Profiles.Profiles[Customer].Language);
    }

    [Fact]
    public async Task StartDeepLink_ThePayloadIsTheOrigin_AndTheTextIsKept()
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("""
            "text":"/start order-1001","entities":[{"offset":0,"length":6,"type":"bot_command"}]
            """)));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal("/start order-1001", message.Text);
        Assert.Equal(new MessageOrigin { Kind = "deep-link", Reference = "order-1001" }, message.Origin);
    }

    [Fact]
    public async Task StartDeepLinkInAGroup_NamingTheBot_ThePayloadIsTheOrigin()
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("\"text\":\"/start@shop_test_bot promo_42\"", chat: GroupChat("-1001234567890", "Group buy"))));

        Assert.Equal(new MessageOrigin { Kind = "deep-link", Reference = "promo_42" }, Assert.Single(Inbound.Accepted).Origin);
    }

    [Theory]
    [InlineData("/start")]
    [InlineData("/start hello there")]
    [InlineData("/start promo.42")]
    [InlineData("/starting promo42")]
    [InlineData("please /start promo42")]
    public async Task ABareStart_OrAPayloadTelegramWouldNotSend_HasNoOrigin_AndTheTextIsKept(string text)
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update($"\"text\":\"{text}\"")));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal(text, message.Text);
        Assert.Null(message.Origin);
    }

    [Fact]
    public async Task StartPayloadLongerThan64_HasNoOrigin()
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update($"\"text\":\"/start {new string('a', 65)}\"")));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update($"\"text\":\"/start {new string('b', 64)}\"", messageId: 4513, updateId: 872635002)));

        Assert.Equal([null, new string('b', 64)], Inbound.Accepted.Select(m => m.Origin?.Reference));
    }

    [Fact]
    public async Task EditedMessage_IsANewMessageMarkedAsAnEdit_WithItsOwnId()
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("\"text\":\"M please\"")));
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("\"edit_date\":1765000090,\"text\":\"L please\"", kind: "edited_message", updateId: 872635002)));

        Assert.Equal(["M please", "[edited] L please"], Inbound.Accepted.Select(m => m.Text));
        Assert.Equal(["5012345678:4512", "5012345678:4512:edit:1765000090"], Inbound.Accepted.Select(m => m.ProviderMessageId));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000090), Inbound.Accepted[1].SentAt);
    }

    [Fact]
    public async Task GroupMessage_BelongsToTheGroup_WithTheMemberAsSender()
    {
        var body = Update("\"text\":\"is the group discount still on?\"", from: From("6023456789", "Ken", null, "en"), chat: GroupChat("-1001234567890", "Group buy"));

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal(new ChannelChat { ExternalId = "-1001234567890", Kind = ChatKind.Group, Title = "Group buy" }, message.Chat);
        Assert.Equal(new ChannelSender { ExternalId = "6023456789", DisplayName = "Ken", Language = "en" }, message.Sender);
        Assert.Equal("-1001234567890:4512", message.ProviderMessageId);
    }

    [Theory]
    [InlineData("\"sticker\":{\"file_id\":\"CAACAgIAAxk\",\"file_unique_id\":\"AgAD\",\"type\":\"regular\",\"width\":512,\"height\":512,\"is_animated\":false,\"is_video\":false,\"emoji\":\"👍\"}", "sticker", "👍")]
    [InlineData("\"voice\":{\"file_id\":\"AwACAgIAAxk\",\"file_unique_id\":\"AgAE\",\"duration\":3,\"mime_type\":\"audio/ogg\"}", "voice", null)]
    [InlineData("\"location\":{\"latitude\":52.52,\"longitude\":13.405}", "location", null)]
    [InlineData("\"poll\":{\"id\":\"1\",\"question\":\"?\",\"options\":[],\"total_voter_count\":0,\"is_closed\":false,\"is_anonymous\":true,\"type\":\"regular\",\"allows_multiple_answers\":false}", "poll", null)]
    [InlineData("\"something_new\":{}", "message", null)]
    public async Task OtherContent_IsStoredAsUnsupported(string fields, string kind, string? summary)
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update(fields)));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal(new UnsupportedContent { Kind = kind, Summary = summary }, message.Unsupported);
        Assert.Equal("", message.Text);
    }

    [Fact]
    public async Task AnotherKindOfUpdateFromAUser_IsStoredAsUnsupported()
    {
        var body = Utf8($$"""{"update_id":872635009,"callback_query":{"id":"4382","from":{{From()}},"chat_instance":"-42","data":"size-m"}""" + "}");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal(("update:872635009", "callback_query"), (message.ProviderMessageId, message.Unsupported?.Kind));
    }

    [Fact]
    public async Task Photo_TheLargestSizeIsDownloadedAndSaved_WithTheCaptionAsText()
    {
        _telegram.AddFile("big-id", "photos/file_7.jpg", Jpeg, "image/jpeg");
        var body = Update("""
            "photo":[{"file_id":"small-id","file_unique_id":"s","file_size":1200,"width":90,"height":67},{"file_id":"big-id","file_unique_id":"b","file_size":14,"width":1280,"height":960},{"file_id":"mid-id","file_unique_id":"m","file_size":9000,"width":320,"height":240}],"caption":"this one"
            """);

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal("this one", message.Text);
        var attachment = Assert.Single(message.Attachments!);
        Assert.Equal(("image/jpeg", Jpeg.Length), (attachment.ContentType, attachment.Size));
        await using var stored = await _container.Attachments.OpenReadAsync(attachment.Id, TestContext.Current.CancellationToken);
        using var copy = new MemoryStream();
        await stored!.CopyToAsync(copy, TestContext.Current.CancellationToken);
        Assert.Equal(Jpeg, copy.ToArray());
        Assert.Equal(1, _telegram.CountOf("getFile"));
    }

    [Fact]
    public async Task Document_IsDownloadedAndSavedUnderItsName()
    {
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        var body = Update("\"document\":{\"file_name\":\"invoice 1001.pdf\",\"mime_type\":\"application/pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\",\"file_size\":15}");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var attachment = Assert.Single(Assert.Single(Inbound.Accepted).Attachments!);
        Assert.Equal(("invoice 1001.pdf", "application/pdf"), (attachment.FileName, attachment.ContentType));
    }

    [Fact]
    public async Task Download_TelegramFailsOnce_IsTriedAgain_AndTheFileIsSaved()
    {
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        var body = Update("\"document\":{\"file_name\":\"invoice.pdf\",\"mime_type\":\"application/pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"}");
        _telegram.FailNextDownload(500);

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Null(message.Unsupported);
        Assert.Single(message.Attachments!);
        Assert.Equal(2, _telegram.Requests.Count(r => r.Path == "/file/bot{token}/documents/file_3.pdf"));
    }

    [Fact]
    public async Task Download_TelegramFailsEveryTime_TheMessageIsStoredWithItsCaption_AndTheFileAsFailed()
    {
        _telegram.AddFile("photo-id", "photos/file_7.jpg", Jpeg, "image/jpeg");
        for (var i = 0; i < 3; i++)
        {
            _telegram.FailNextDownload(500);
        }

        var body = Update("\"photo\":[{\"file_id\":\"photo-id\",\"file_unique_id\":\"p\",\"width\":1280,\"height\":960}],\"caption\":\"this one in M\"");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal("this one in M", message.Text);
        Assert.Null(message.Attachments);
        Assert.Equal(new UnsupportedContent { Kind = "photo", Failed = true, Summary = "could not be downloaded from Telegram (HTTP 500)" }, message.Unsupported);
        Assert.Equal(3, _telegram.Requests.Count(r => r.Path.StartsWith("/file/", StringComparison.Ordinal)));
        // Sent again (Telegram had no answer in time, say), it is kept once: the same provider id.
        Assert.Equal("5012345678:4512", message.ProviderMessageId);
    }

    [Fact]
    public async Task GetFile_TelegramFailsEveryTime_TheFileIsShownAsFailed_WithoutADownload()
    {
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        for (var i = 0; i < 3; i++)
        {
            _telegram.FailNextGetFile(502);
        }

        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("\"document\":{\"file_name\":\"invoice.pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"}")));

        Assert.Equal(
            new UnsupportedContent { Kind = "document", Failed = true, Summary = "could not be downloaded from Telegram (getFile answered HTTP 502)" },
            Assert.Single(Inbound.Accepted).Unsupported);
        Assert.Equal(3, _telegram.CountOf("getFile"));
        Assert.DoesNotContain(_telegram.Requests, r => r.Path.StartsWith("/file/", StringComparison.Ordinal));
    }

    [Fact]
    public async Task GetFile_TelegramAsksToWaitLongerThanTheTimeLeft_TheFileIsShownAsFailedWithoutWaiting()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-hurried",
            new Dictionary<string, string?>(ValidSettings(_telegram)) { ["RequestTimeout"] = "00:00:02" });
        await using var host = await ChannelEndpointHost.StartAsync(new TelegramChannelPlugin(), container, ct);
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        _telegram.FailNextGetFile(429);
        using var request = new HttpRequestMessage(HttpMethod.Post, host.UrlFor(container.Instance, "webhook"))
        {
            Content = new ByteArrayContent(Update("\"document\":{\"file_name\":\"invoice.pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"}")),
        };
        request.Headers.Add(TelegramWebhookEndpoints.SecretHeader, SecretToken);
        var started = DateTime.UtcNow;

        using var response = await host.Client.SendAsync(request, ct);

        // Telegram asked for 7 s, more than the 2 s all attempts may take: no second attempt, no 7 s wait.
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(6));
        Assert.Equal(
            new UnsupportedContent { Kind = "document", Failed = true, Summary = "could not be downloaded from Telegram (getFile answered HTTP 429)" },
            Assert.Single(container.Inbound.Accepted).Unsupported);
        Assert.Equal(1, _telegram.CountOf("getFile"));
    }

    [Fact]
    public async Task Download_TelegramNoLongerHasIt_IsNotTriedAgain_AndTheFileIsShownAsFailed()
    {
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        _telegram.FailNextDownload(404);
        var body = Update("\"document\":{\"file_name\":\"invoice.pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"},\"caption\":\"my invoice\"");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Null(message.Attachments);
        Assert.Equal("my invoice", message.Text);
        Assert.Equal(new UnsupportedContent { Kind = "document", Failed = true, Summary = "could not be downloaded from Telegram (HTTP 404)" }, message.Unsupported);
        Assert.Equal(1, _telegram.Requests.Count(r => r.Path.StartsWith("/file/", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Document_LargerThanBotsMayDownload_IsShownAsFailedWithoutAFetch()
    {
        var body = Update("\"document\":{\"file_name\":\"video.mov\",\"file_id\":\"huge\",\"file_unique_id\":\"h\",\"file_size\":52428800}");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        Assert.Equal(
            new UnsupportedContent { Kind = "document", Failed = true, Summary = "could not be downloaded from Telegram (larger than the 20 MB Telegram lets bots download)" },
            Assert.Single(Inbound.Accepted).Unsupported);
        Assert.Equal(0, _telegram.CountOf("getFile"));
    }

    [Fact]
    public async Task Document_TelegramSaysTooBig_IsShownAsFailedOnce()
    {
        _telegram.AddTooBigFile("huge");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("\"document\":{\"file_name\":\"video.mov\",\"file_id\":\"huge\",\"file_unique_id\":\"h\"}")));

        Assert.Equal(
            new UnsupportedContent { Kind = "document", Failed = true, Summary = "could not be downloaded from Telegram (larger than the 20 MB Telegram lets bots download)" },
            Assert.Single(Inbound.Accepted).Unsupported);
        Assert.Equal(1, _telegram.CountOf("getFile"));
    }

    [Fact]
    public async Task Document_LargerThanTheGatewayTakes_IsShownAsFailedWithThatLimit()
    {
        var ct = TestContext.Current.CancellationToken;
        using var small = new TempFolderAttachmentStore(maxBytes: 8);
        await using var container = ChannelInstanceContainer.Build(new TelegramChannelPlugin(), "telegram-small", ValidSettings(_telegram), attachments: small);
        await using var host = await ChannelEndpointHost.StartAsync(new TelegramChannelPlugin(), container, ct);
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        using var request = new HttpRequestMessage(HttpMethod.Post, host.UrlFor(container.Instance, "webhook"))
        {
            Content = new ByteArrayContent(Update("\"document\":{\"file_name\":\"invoice.pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"}")),
        };
        request.Headers.Add(TelegramWebhookEndpoints.SecretHeader, SecretToken);

        using var response = await host.Client.SendAsync(request, ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var unsupported = Assert.Single(container.Inbound.Accepted).Unsupported;
        Assert.True(unsupported?.Failed);
        Assert.StartsWith("could not be downloaded from Telegram (larger than ", unsupported?.Summary);
    }

    [Fact]
    public async Task BotBlocked_RecordsNoOutreachOnThisChannel_AndStoresNoMessage()
    {
        await KnowTheCustomerAsync();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(MyChatMember("member", "kicked")));

        Assert.Equal(1, Inbound.Calls);
        Assert.Equal((OutreachPreference.None, true), _container.Preferences.Choices[Customer]);
    }

    [Fact]
    public async Task BotUnblocked_RecordsAllOutreachOnThisChannelAgain_AndStoresNoMessage()
    {
        await KnowTheCustomerAsync();
        Assert.Equal(HttpStatusCode.OK, await PostAsync(MyChatMember("member", "kicked")));

        Assert.Equal(HttpStatusCode.OK, await PostAsync(MyChatMember("kicked", "member", updateId: 872635011)));

        Assert.Equal(1, Inbound.Calls);
        Assert.Equal((OutreachPreference.All, true), _container.Preferences.Choices[Customer]);
    }

    [Fact]
    public async Task BotRemovedFromAGroup_IsAcknowledged_AndRecordsNothing()
    {
        await KnowTheCustomerAsync();

        Assert.Equal(HttpStatusCode.OK, await PostAsync(MyChatMember("member", "kicked", chat: GroupChat("-1001234567890", "Group buy"))));

        Assert.Empty(_container.Preferences.Choices);
        Assert.Equal(1, Inbound.Calls);
    }

    [Fact]
    public async Task MyChatMemberWithoutAUser_Is400_AndRecordsNothing()
    {
        await KnowTheCustomerAsync();

        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(Utf8($$"""{"update_id":872635010,"my_chat_member":{"chat":{{PrivateChat()}},"date":1765000100,"new_chat_member":{"status":"kicked" """ + "}}}")));

        Assert.Empty(_container.Preferences.Choices);
    }

    /// <summary>The customer wrote before: the gateway knows them.</summary>
    private async Task KnowTheCustomerAsync() =>
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("\"text\":\"hi\"", messageId: 4000, updateId: 872634000)));

    /// <summary>Telegram's my_chat_member: the bot's status in a chat changed (<c>kicked</c> in a private chat: blocked).</summary>
    private static byte[] MyChatMember(string from, string to, long updateId = 872635010, string? chat = null)
    {
        const string Bot = """{"id":7000000001,"is_bot":true,"first_name":"Shop","username":"shop_test_bot"}""";
        return Utf8($$"""{"update_id":{{updateId}},"my_chat_member":{"chat":{{chat ?? PrivateChat()}},"from":{{From()}},"date":1765000100,"old_chat_member":{"user":{{Bot}},"status":"{{from}}"},"new_chat_member":{"user":{{Bot}},"status":"{{to}}" """ + "}}}");
    }
}

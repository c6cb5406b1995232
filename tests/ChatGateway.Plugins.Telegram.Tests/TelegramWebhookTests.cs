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
/// Bad inputs tried: no header, a wrong header, a malformed body with the right header, a download Telegram fails (500)
/// or no longer has (404).
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
        Assert.Equal(new ChannelSender { ExternalId = Customer, DisplayName = "Anna Schmidt" }, message.Sender);
        Assert.Equal("Hallo, ist das rote Kleid in M noch da?", message.Text);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1765000000), message.SentAt);
        Assert.Null(message.Chat);
        Assert.Equal("de", _container.Profiles.Profiles[Customer].Language);
    }

    [Fact]
    public async Task StartDeepLink_KeepsThePayloadInTheText()
    {
        Assert.Equal(HttpStatusCode.OK, await PostAsync(Update("""
            "text":"/start order-1001","entities":[{"offset":0,"length":6,"type":"bot_command"}]
            """)));

        Assert.Equal("/start order-1001", Assert.Single(Inbound.Accepted).Text);
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
        Assert.Equal(new ChannelSender { ExternalId = "6023456789", DisplayName = "Ken" }, message.Sender);
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
    public async Task Download_TelegramFails_Is503SoTheUpdateComesAgain_AndNothingIsStored_ThenTheRedeliveryIsStored()
    {
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        var body = Update("\"document\":{\"file_name\":\"invoice.pdf\",\"mime_type\":\"application/pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"}");
        _telegram.FailNextDownload(500);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, await PostAsync(body));
        Assert.Equal(0, Inbound.Calls);

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));
        Assert.Single(Assert.Single(Inbound.Accepted).Attachments!);
    }

    [Fact]
    public async Task Download_TelegramNoLongerHasIt_IsStoredAsUnsupportedWithTheReason()
    {
        _telegram.AddFile("doc-id", "documents/file_3.pdf", Pdf, "application/pdf");
        _telegram.FailNextDownload(404);
        var body = Update("\"document\":{\"file_name\":\"invoice.pdf\",\"file_id\":\"doc-id\",\"file_unique_id\":\"d\"},\"caption\":\"my invoice\"");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Null(message.Attachments);
        Assert.Equal("my invoice", message.Text);
        Assert.Equal(new UnsupportedContent { Kind = "document", Summary = "could not be fetched from Telegram (answered 404)" }, message.Unsupported);
    }

    [Fact]
    public async Task Document_LargerThanBotsMayDownload_IsUnsupportedWithoutAFetch()
    {
        var body = Update("\"document\":{\"file_name\":\"video.mov\",\"file_id\":\"huge\",\"file_unique_id\":\"h\",\"file_size\":52428800}");

        Assert.Equal(HttpStatusCode.OK, await PostAsync(body));

        Assert.Equal("document", Assert.Single(Inbound.Accepted).Unsupported?.Kind);
        Assert.Equal(0, _telegram.CountOf("getFile"));
    }
}

using System.Net;
using System.Net.Http.Headers;

using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

using static ChatGateway.Plugins.WhatsApp.Tests.WhatsAppTestInstance;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>
/// The real webhook (Kestrel, the instance's container) against the fake Graph API: Meta's verification handshake, the
/// signature before anything else, media fetched and stored before the message, and what Graph's failures do.
/// </summary>
public sealed class WhatsAppWebhookTests : IAsyncLifetime
{
    private static readonly byte[] Jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00, 0x01, 0xFF, 0xD9];

    private FakeWhatsAppServer _graph = null!;
    private ChannelInstanceContainer _container = null!;
    private ChannelEndpointHost _host = null!;

    private RecordingInboundSink Inbound => _container.Inbound;

    public async ValueTask InitializeAsync()
    {
        _graph = await StartFakeAsync();
        _container = ChannelInstanceContainer.Build(new WhatsAppChannelPlugin(), "whatsapp", ValidSettings(_graph.BaseAddress));
        _host = await ChannelEndpointHost.StartAsync(new WhatsAppChannelPlugin(), _container, TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _container.DisposeAsync();
        await _graph.DisposeAsync();
    }

    [Fact]
    public async Task Verify_RightToken_AnswersTheChallengeAsText()
    {
        using var response = await VerifyAsync("subscribe", VerifyToken, "1158201444");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("1158201444", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("subscribe", "wrong-token")]
    [InlineData("subscribe", "")]
    [InlineData("unsubscribe", VerifyToken)]
    [InlineData("", VerifyToken)]
    public async Task Verify_WrongTokenOrMode_Is403WithoutTheChallenge(string mode, string token)
    {
        using var response = await VerifyAsync(mode, token, "1158201444");

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain("1158201444", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Post_Forged_IsRefusedBeforeParsing()
    {
        // Malformed JSON: a 400 would mean it was parsed before the signature was checked.
        var body = Utf8("{not json");

        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, FakeWhatsAppServer.Sign("another-secret", body)));
        Assert.Equal(HttpStatusCode.Unauthorized, await PostAsync(body, null));
        Assert.Equal(HttpStatusCode.BadRequest, await PostAsync(body, FakeWhatsAppServer.Sign(AppSecret, body)));
        Assert.Equal(0, Inbound.Calls);
    }

    [Fact]
    public async Task Post_ImageDocumentAudio_AreFetchedWithTheTokenAndStoredAsAttachments()
    {
        _graph.AddMedia("1003383421387256", Jpeg, "image/jpeg");
        _graph.AddMedia("1003383421387257", "%PDF-1.4\n%%EOF\n"u8.ToArray(), "application/pdf");
        _graph.AddMedia("1003383421387258", "OggS\0\u0002\0\0\0\0\0\0\0\0"u8.ToArray(), "audio/ogg");

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(LoadPayload("media-and-others.json")));

        var byId = Inbound.Accepted.ToDictionary(m => m.ProviderMessageId);
        Assert.Equal(7, byId.Count);
        var image = Assert.Single(byId["wamid.IMAGE1"].Attachments!);
        Assert.Equal(("image/jpeg", (long)Jpeg.Length), (image.ContentType, image.Size));
        Assert.Equal("The box arrived like this", byId["wamid.IMAGE1"].Text);
        Assert.Equal(("receipt.pdf", "application/pdf"), (byId["wamid.DOC1"].Attachments![0].FileName, byId["wamid.DOC1"].Attachments![0].ContentType));
        Assert.Single(byId["wamid.AUDIO1"].Attachments!);
        Assert.Equal("sticker", byId["wamid.STICKER1"].Unsupported?.Kind);
    }

    [Fact]
    public async Task Post_MediaDownloadFailsOnce_IsRetriedAndStoredAsAnAttachment()
    {
        _graph.AddMedia("1003383421387256", Jpeg, "image/jpeg");
        _graph.FailNextDownload(500);

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(TextAndImage("Look", "The box arrived like this")));

        Assert.Equal(["wamid.T1", "wamid.I1"], Inbound.Accepted.Select(m => m.ProviderMessageId));
        var image = Inbound.Accepted[1];
        Assert.Equal(("image/jpeg", (long)Jpeg.Length), (Assert.Single(image.Attachments!).ContentType, image.Attachments![0].Size));
        Assert.Null(image.Unsupported);
        Assert.Equal(2, _graph.MediaDownloads);
    }

    [Fact]
    public async Task Post_MediaDownloadKeepsFailing_Is200_AndStoresTheCaptionWithTheFileAsFailed()
    {
        _graph.AddMedia("1003383421387256", Jpeg, "image/jpeg");
        _graph.FailNextDownload(500);
        _graph.FailNextDownload(503);
        _graph.FailNextDownload(502);

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(TextAndImage("Look", "The box arrived like this")));

        Assert.Equal(["wamid.T1", "wamid.I1"], Inbound.Accepted.Select(m => m.ProviderMessageId));
        var image = Inbound.Accepted[1];
        Assert.Equal("The box arrived like this", image.Text);
        Assert.Null(image.Attachments);
        Assert.Equal(new UnsupportedContent { Kind = "image", Failed = true, Summary = "could not be downloaded from WhatsApp (the media download answered 502)" }, image.Unsupported);
        Assert.Equal(3, _graph.MediaDownloads);
    }

    [Fact]
    public async Task Post_MediaLookupUnreachable_IsRetriedThenStoredAsFailed()
    {
        _graph.AddMedia("1003383421387256", Jpeg, "image/jpeg");
        _graph.FailNextLookup(0);
        _graph.FailNextLookup(0);
        _graph.FailNextLookup(0);

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(TextAndImage("Look", "The box arrived like this")));

        var image = Inbound.Accepted.Single(m => m.ProviderMessageId == "wamid.I1");
        Assert.Equal(("image", true, "The box arrived like this"), (image.Unsupported!.Kind, image.Unsupported.Failed, image.Text));
        Assert.StartsWith("could not be downloaded from WhatsApp (could not reach WhatsApp", image.Unsupported.Summary);
        Assert.Equal((3, 0), (_graph.MediaLookups, _graph.MediaDownloads));
    }

    [Fact]
    public async Task Post_MediaGone404_IsStoredAsFailedWithTheReason_WithoutRetrying()
    {
        // The lookup of an id the fake does not have: Graph's 400 (object does not exist); then a download that answers 404.
        _graph.AddMedia("1003383421387256", Jpeg, "image/jpeg");
        _graph.FailNextDownload(404);
        var body = Utf8($$$$"""{"entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"{{{{PhoneNumberId}}}}"},"messages":[{"from":"15551234567","id":"wamid.I2","type":"image","image":{"id":"1003383421387256"}},{"from":"15551234567","id":"wamid.I3","type":"document","document":{"id":"unknown-media","filename":"a.pdf","caption":"my invoice"}}]}}]}]}""");

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(body));

        Assert.Equal(
            [
                ("image", true, "could not be downloaded from WhatsApp (the media download answered 404: WhatsApp no longer has the file)", ""),
                ("document", true, "could not be downloaded from WhatsApp (the media lookup answered 400)", "my invoice"),
            ],
            Inbound.Accepted.Select(m => (m.Unsupported!.Kind, m.Unsupported.Failed, m.Unsupported.Summary, m.Text)));
        Assert.All(Inbound.Accepted, m => Assert.Null(m.Attachments));
        Assert.Equal((2, 1), (_graph.MediaLookups, _graph.MediaDownloads));
    }

    [Fact]
    public async Task Post_MediaAddressOnAnotherHost_IsNotFetched_TheTokenStaysHome()
    {
        _graph.AddMedia("1003383421387256", Jpeg, "image/jpeg");
        _graph.MediaUrlHost = "localhost";

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(TextAndImage("Look", "The box arrived like this")));

        var image = Inbound.Accepted.Single(m => m.ProviderMessageId == "wamid.I1");
        Assert.Equal((true, "could not be downloaded from WhatsApp (WhatsApp gave the media's address on an unexpected host)"), (image.Unsupported!.Failed, image.Unsupported.Summary));
        Assert.Equal(0, _graph.MediaDownloads);
    }

    [Fact]
    public async Task Post_ClickToWhatsAppAd_StoresTheMessageWithTheAdAsItsOrigin()
    {
        var body = Utf8($$$$"""{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"{{{{PhoneNumberId}}}}"},"contacts":[{"profile":{"name":"Mei Lin"},"wa_id":"15551234567"}],"messages":[{"referral":{"source_url":"https://fb.me/3cr4Wqqkv","source_id":"120211111111110123","source_type":"ad","headline":"Winter sale: 30% off coats","body":"Chat with us to order","media_type":"image","image_url":"https://scontent.xx.fbcdn.net/v/t45.png","ctwa_clid":"ARAkLkA8rmlFeiCktEJQ-QTwRiyYHAFDLMNDBH0CD3qpjd0HR4irJ6LEkR7JwFF4XvnO2E4Nx0-eM-GABDLOPaOdRMv-_zfUQ2a"},"from":"15551234567","id":"wamid.AD1","timestamp":"1765000000","type":"text","text":{"body":"Hi, is the grey coat in stock?"}}]}}]}]}""");

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(body));

        var message = Assert.Single(Inbound.Accepted);
        Assert.Equal("Hi, is the grey coat in stock?", message.Text);
        Assert.Equal(new MessageOrigin { Kind = "ad", Reference = "120211111111110123", Url = "https://fb.me/3cr4Wqqkv", Title = "Winter sale: 30% off coats" }, message.Origin);
    }

    [Fact]
    public async Task Post_Statuses_AreReportedAsDeliveryUpdates()
    {
        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(LoadPayload("statuses.json")));

        Assert.Equal(
            [DeliveryStatus.Sent, DeliveryStatus.Delivered, DeliveryStatus.Delivered, DeliveryStatus.Failed, DeliveryStatus.Failed],
            _container.Statuses.Updates.Select(u => u.Status));
        Assert.Equal(0, Inbound.Calls);
    }

    [Fact]
    public async Task Post_AnotherNumbersEvents_AreAcknowledgedAndPassedOver()
    {
        var body = LoadPayload("batch.json");
        var other = Utf8(System.Text.Encoding.UTF8.GetString(body).Replace(PhoneNumberId, "999999999999999", StringComparison.Ordinal));

        Assert.Equal(HttpStatusCode.OK, await PostSignedAsync(other));
        Assert.Equal(0, Inbound.Calls);
    }

    /// <summary>A text message and a picture with a caption, from one customer in one request.</summary>
    private static byte[] TextAndImage(string text, string caption) =>
        Utf8($$$$"""{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"phone_number_id":"{{{{PhoneNumberId}}}}"},"contacts":[{"profile":{"name":"Mei Lin"},"wa_id":"15551234567"}],"messages":[{"from":"15551234567","id":"wamid.T1","timestamp":"1765000000","type":"text","text":{"body":"{{{{text}}}}"}},{"from":"15551234567","id":"wamid.I1","timestamp":"1765000001","type":"image","image":{"id":"1003383421387256","mime_type":"image/jpeg","caption":"{{{{caption}}}}"}}]}}]}]}""");

    private async Task<HttpResponseMessage> VerifyAsync(string mode, string token, string challenge)
    {
        var url = new Uri(_host.UrlFor(_container.Instance, "webhook"),
            $"?hub.mode={Uri.EscapeDataString(mode)}&hub.verify_token={Uri.EscapeDataString(token)}&hub.challenge={challenge}");
        return await _host.Client.GetAsync(url, TestContext.Current.CancellationToken);
    }

    private async Task<HttpStatusCode> PostAsync(byte[] body, string? signature)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _host.UrlFor(_container.Instance, "webhook")) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (signature is not null)
        {
            request.Headers.Add("X-Hub-Signature-256", signature);
        }

        using var response = await _host.Client.SendAsync(request, TestContext.Current.CancellationToken);
        return response.StatusCode;
    }

    private Task<HttpStatusCode> PostSignedAsync(byte[] body) => PostAsync(body, FakeWhatsAppServer.Sign(AppSecret, body));
}

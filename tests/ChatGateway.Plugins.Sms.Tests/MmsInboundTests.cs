using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;

using ChatGateway.Abstractions;
using ChatGateway.Plugins.Sms.Tests.Fakes;
using ChatGateway.Testing;

namespace ChatGateway.Plugins.Sms.Tests;

/// <summary>
/// Inbound MMS over real HTTP: a signed webhook whose <c>MediaUrl{N}</c> point at the fake Twilio, which serves the files
/// only with the account's Basic credentials; the files go into a test double of the gateway's attachment store.
/// </summary>
public sealed class MmsInboundTests : IAsyncLifetime
{
    private const string MessageSid = "MM0a1b2c3d4e5f60718293a4b5c6d7e8f9";

    private FakeTwilioServer _twilio = null!;
    private SmsWebhookHost _host = null!;

    public async ValueTask InitializeAsync()
    {
        _twilio = await FakeTwilioServer.StartAsync(SmsTestInstance.AccountSid, SmsTestInstance.AuthToken, cancellationToken: TestContext.Current.CancellationToken);
        _host = await SmsWebhookHost.StartAsync(twilio: _twilio);
    }

    public async ValueTask DisposeAsync()
    {
        await _host.DisposeAsync();
        await _twilio.DisposeAsync();
    }

    [Fact]
    public async Task Inbound_MmsWithTwoPictures_StoresBothWithTheirBytes_AndAcceptsTheMessageWithBoth()
    {
        var jpeg = Jpeg(40_000);
        var png = Png(25_000);
        var first = _twilio.AddMedia(MessageSid, jpeg, "image/jpeg");
        var second = _twilio.AddMedia(MessageSid, png, "image/png");

        using var response = await _host.PostSignedAsync("messages", Mms("The box arrived like this", (first, "image/jpeg"), (second, "image/png")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Assert.Single(_host.Inbound.Accepted);
        Assert.Equal(MessageSid, message.ProviderMessageId);
        Assert.Equal("The box arrived like this", message.Text);
        Assert.NotNull(message.Attachments);
        Assert.Equal(2, message.Attachments.Count);
        Assert.Equal(jpeg, _host.Attachments.ReadAll(message.Attachments[0].Id));
        Assert.Equal(png, _host.Attachments.ReadAll(message.Attachments[1].Id));
        Assert.Equal(["image/jpeg", "image/png"], message.Attachments.Select(a => a.ContentType));
        Assert.Equal([(long)jpeg.Length, png.Length], message.Attachments.Select(a => a.Size));
        // The name is Twilio's media sid (the URL's last segment) with an extension for the type.
        Assert.Equal(first.Segments[^1] + ".jpg", message.Attachments[0].FileName);
        Assert.Equal(second.Segments[^1] + ".png", message.Attachments[1].FileName);
    }

    [Fact]
    public async Task Inbound_PhotoOnlyMms_IsAcceptedWithEmptyTextAndThePhoto()
    {
        var photo = Jpeg(10_000);
        var url = _twilio.AddMedia(MessageSid, photo, "image/jpeg");

        using var response = await _host.PostSignedAsync("messages", Mms("", (url, "image/jpeg")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Assert.Single(_host.Inbound.Accepted);
        Assert.Equal("", message.Text);
        Assert.Equal(photo, _host.Attachments.ReadAll(Assert.Single(message.Attachments!).Id));
    }

    [Fact]
    public async Task Inbound_Mms_FetchesEachFileWithTheAccountsBasicCredentials()
    {
        var first = _twilio.AddMedia(MessageSid, Jpeg(1000), "image/jpeg");
        var second = _twilio.AddMedia(MessageSid, Png(1000), "image/png");

        using var response = await _host.PostSignedAsync("messages", Mms("two", (first, "image/jpeg"), (second, "image/png")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, _twilio.MediaDownloads.Count);
        Assert.All(_twilio.MediaDownloads, download =>
        {
            Assert.Equal((SmsTestInstance.AccountSid, SmsTestInstance.AuthToken, 200), (download.Username, download.Password, download.Status));
        });
        Assert.Equal([first.AbsolutePath, second.AbsolutePath], _twilio.MediaDownloads.Select(d => d.Path));
    }

    // Tried: another https host, the API's host name in another spelling (localhost for 127.0.0.1, same port), the
    // right host over https instead of http, the right host on another port, and user info in the URL.
    [Theory]
    [InlineData("https://evil.example/2010-04-01/Accounts/{sid}/Messages/MM1/Media/ME1")]
    [InlineData("http://localhost:{port}/2010-04-01/Accounts/{sid}/Messages/MM1/Media/ME1")]
    [InlineData("https://127.0.0.1:{port}/2010-04-01/Accounts/{sid}/Messages/MM1/Media/ME1")]
    [InlineData("http://127.0.0.1:1/2010-04-01/Accounts/{sid}/Messages/MM1/Media/ME1")]
    [InlineData("http://user:pass@127.0.0.1:{port}/2010-04-01/Accounts/{sid}/Messages/MM1/Media/ME1")]
    [InlineData("/2010-04-01/Accounts/{sid}/Messages/MM1/Media/ME1")]
    public async Task Inbound_MediaUrlNotOnTheApiHost_Answers400_AndFetchesAndStoresNothing(string template)
    {
        var url = template.Replace("{port}", _twilio.BaseAddress.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{sid}", SmsTestInstance.AccountSid, StringComparison.Ordinal);

        using var response = await _host.PostSignedAsync("messages", Mms("look", (url, "image/jpeg")));

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "MediaUrl0 is not a URL on the Twilio API host (127.0.0.1)");
        Assert.Empty(_twilio.MediaDownloads);
        Assert.Equal(0, _host.Attachments.SaveCalls);
        Assert.Empty(_host.Inbound.Accepted);
    }

    [Fact]
    public async Task Inbound_MediaLargerThanTheStoreTakes_KeepsTheMessageWithoutIt_AndSaysWhy()
    {
        var small = Png(2000);
        var big = _twilio.AddMedia(MessageSid, Jpeg(6 * 1024 * 1024), "image/jpeg"); // 6 MB: over the 5 MB limit
        var kept = _twilio.AddMedia(MessageSid, small, "image/png");

        using var response = await _host.PostSignedAsync("messages", Mms("two photos", (big, "image/jpeg"), (kept, "image/png")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Assert.Single(_host.Inbound.Accepted);
        Assert.Equal("two photos\n[A file sent with this message was not kept: larger than 5 MB.]", message.Text);
        Assert.Equal("file", message.Unsupported?.Kind);
        Assert.Equal(small, _host.Attachments.ReadAll(Assert.Single(message.Attachments!).Id));
        Assert.Equal(1, _host.Attachments.FilesOnDisk);
    }

    [Fact]
    public async Task Inbound_PhotoOnlyMmsOfATypeTheStoreRefuses_KeepsTheMessageWithTheNoteAsItsText()
    {
        _host.Attachments.AcceptType = type => type.StartsWith("image/", StringComparison.Ordinal);
        var url = _twilio.AddMedia(MessageSid, "%PDF-1.7 invoice"u8.ToArray(), "application/pdf");

        using var response = await _host.PostSignedAsync("messages", Mms("", (url, "application/pdf")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Assert.Single(_host.Inbound.Accepted);
        Assert.Equal("[A file sent with this message was not kept: type application/pdf is not accepted.]", message.Text);
        Assert.Null(message.Attachments);
        Assert.Equal(new UnsupportedContent { Kind = "file", Summary = "application/pdf: type application/pdf is not accepted" }, message.Unsupported);
    }

    [Fact]
    public async Task Inbound_ContactCardTheStoreRefuses_ReachesTheAgentAsAContact()
    {
        _host.Attachments.AcceptType = type => type.StartsWith("image/", StringComparison.Ordinal);
        var url = _twilio.AddMedia(MessageSid, "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Mei Lin\r\nEND:VCARD\r\n"u8.ToArray(), "text/vcard");

        using var response = await _host.PostSignedAsync("messages", Mms("my wife's number", (url, "text/vcard")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var message = Assert.Single(_host.Inbound.Accepted);
        Assert.Equal("contact", message.Unsupported?.Kind);
        Assert.StartsWith("my wife's number\n[A file sent with this message was not kept", message.Text, StringComparison.Ordinal);
    }

    // Twilio answering 500, 502 and 503 (and 429) is worth its retry: the webhook answers 503 and the gateway hears nothing.
    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    public async Task Inbound_MediaFetchFailsForNow_Answers503_AndAcceptsNothing_UntilTwilioDeliversAgain(int status)
    {
        var url = _twilio.AddMedia(MessageSid, Jpeg(1000), "image/jpeg");
        _twilio.FailMediaNext(1, status);

        using var failed = await _host.PostSignedAsync("messages", Mms("look", (url, "image/jpeg")));

        await AssertErrorAsync(failed, HttpStatusCode.ServiceUnavailable, $"MediaUrl0 could not be fetched from Twilio (Twilio answered {status}); try again");
        Assert.False(_host.Inbound.Entered.Task.IsCompleted, "AcceptAsync must not be called when a file could not be fetched");

        using var redelivered = await _host.PostSignedAsync("messages", Mms("look", (url, "image/jpeg")));

        Assert.Equal(HttpStatusCode.OK, redelivered.StatusCode);
        Assert.Single(Assert.Single(_host.Inbound.Accepted).Attachments!);
    }

    [Fact]
    public async Task Inbound_MediaFetchTimesOut_Answers503_AndAcceptsNothing()
    {
        await using var host = await SmsWebhookHost.StartAsync(settings => settings["RequestTimeout"] = "00:00:01", twilio: _twilio);
        var url = _twilio.AddMedia(MessageSid, Jpeg(1000), "image/jpeg");
        _twilio.DelayMediaNext(1, TimeSpan.FromSeconds(10));

        using var response = await host.PostSignedAsync("messages", Mms("look", (url, "image/jpeg")));

        await AssertErrorAsync(response, HttpStatusCode.ServiceUnavailable, "MediaUrl0 could not be fetched from Twilio (it did not arrive within 1 s); try again");
        Assert.Empty(host.Inbound.Accepted);
        Assert.Equal(0, host.Attachments.FilesOnDisk);
    }

    [Fact]
    public async Task Inbound_MediaTwilioNoLongerHas_KeepsTheMessageWithANote()
    {
        var gone = new Uri(_twilio.BaseAddress, $"/2010-04-01/Accounts/{SmsTestInstance.AccountSid}/Messages/{MessageSid}/Media/ME404");

        using var response = await _host.PostSignedAsync("messages", Mms("see photo", (gone, "image/jpeg")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            "see photo\n[A file sent with this message could not be fetched from Twilio: Twilio answered 404.]",
            Assert.Single(_host.Inbound.Accepted).Text);
    }

    [Fact]
    public async Task Inbound_MediaRedirectedOnTheApiHost_IsFollowedWithCredentials()
    {
        var photo = Jpeg(3000);
        var storage = _twilio.AddMedia("MMstorage", photo, "image/jpeg");
        var url = _twilio.AddMedia(MessageSid, [], "image/jpeg", redirectTo: storage);

        using var response = await _host.PostSignedAsync("messages", Mms("", (url, "image/jpeg")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(photo, _host.Attachments.ReadAll(Assert.Single(Assert.Single(_host.Inbound.Accepted).Attachments!).Id));
        Assert.Equal([307, 200], _twilio.MediaDownloads.Select(d => d.Status));
    }

    // A redirect to plain http on another host (localhost is another host name than the API's 127.0.0.1) is not followed:
    // the credentials would go along, or the file would come over an unprotected connection.
    [Fact]
    public async Task Inbound_MediaRedirectedToPlainHttpElsewhere_IsNotFollowed_AndTheMessageIsKeptWithANote()
    {
        var storage = _twilio.AddMedia("MMstorage", Jpeg(3000), "image/jpeg");
        var elsewhere = new UriBuilder(storage) { Host = "localhost" }.Uri;
        var url = _twilio.AddMedia(MessageSid, [], "image/jpeg", redirectTo: elsewhere);

        using var response = await _host.PostSignedAsync("messages", Mms("", (url, "image/jpeg")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(
            "[A file sent with this message could not be fetched from Twilio: Twilio redirected it to a host that is not https.]",
            Assert.Single(_host.Inbound.Accepted).Text);
        Assert.Equal([url.AbsolutePath], _twilio.MediaDownloads.Select(d => d.Path));
    }

    // Tried: a negative count, not a number, more than Twilio's 10, a decimal, a padded number, an empty value.
    [Theory]
    [InlineData("-1")]
    [InlineData("x")]
    [InlineData("11")]
    [InlineData("1.0")]
    [InlineData(" 1")]
    [InlineData("")]
    public async Task Inbound_NumMediaNotAWholeNumberFrom0To10_Answers400_AndStoresNothing(string numMedia)
    {
        var url = _twilio.AddMedia(MessageSid, Jpeg(1000), "image/jpeg");
        var payload = Mms("look", (url, "image/jpeg")).Select(p => p.Key == "NumMedia" ? new(p.Key, numMedia) : p);

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "NumMedia must be a whole number from 0 to 10");
        AssertNothingHappened();
    }

    [Fact]
    public async Task Inbound_NumMedia2WithOnlyMediaUrl0_Answers400NamingTheMissingUrl()
    {
        var url = _twilio.AddMedia(MessageSid, Jpeg(1000), "image/jpeg");
        var payload = Mms("look", (url, "image/jpeg")).Select(p => p.Key == "NumMedia" ? new(p.Key, "2") : p);

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "MediaUrl1 is required (NumMedia is 2)");
        AssertNothingHappened();
    }

    [Fact]
    public async Task Inbound_MediaUrlBeyondNumMedia_Answers400()
    {
        var url = _twilio.AddMedia(MessageSid, Jpeg(1000), "image/jpeg");
        var payload = Mms("look", (url, "image/jpeg"));
        payload.Add(new("MediaUrl3", url.ToString()));

        using var response = await _host.PostSignedAsync("messages", payload);

        await AssertErrorAsync(response, HttpStatusCode.BadRequest, "MediaUrl3 is not expected (NumMedia is 1)");
        AssertNothingHappened();
    }

    [Fact]
    public async Task Inbound_MediaUrlsAddedAfterSigning_Answers403BeforeFetchingAnything()
    {
        var url = _twilio.AddMedia(MessageSid, Jpeg(1000), "image/jpeg");
        var signedWithout = Mms("look");
        using var request = TwilioSignature.CreateSignedRequest(SmsTestInstance.AuthToken, SmsTestInstance.PublicBaseUrl, SmsWebhookHost.PathOf("messages"), signedWithout);
        request.Content = new FormUrlEncodedContent(Mms("look", (url, "image/jpeg")));

        using var response = await _host.Client.SendAsync(request, TestContext.Current.CancellationToken);

        await AssertErrorAsync(response, HttpStatusCode.Forbidden, "invalid signature");
        AssertNothingHappened();
    }

    private void AssertNothingHappened()
    {
        Assert.Empty(_twilio.MediaDownloads);
        Assert.Equal(0, _host.Attachments.SaveCalls);
        Assert.Empty(_host.Inbound.Accepted);
    }

    /// <summary>The recorded inbound SMS payload turned into an MMS, with Twilio's media fields.</summary>
    private static List<KeyValuePair<string, string>> Mms(string body, params (object Url, string ContentType)[] media)
    {
        var payload = SmsTestInstance.LoadPayload("inbound-sms.form")
            .Where(p => p.Key is not ("NumMedia" or "Body"))
            .Select(p => p.Key is "MessageSid" or "SmsSid" or "SmsMessageSid" ? new KeyValuePair<string, string>(p.Key, MessageSid) : p)
            .ToList();
        payload.Add(new("Body", body));
        payload.Add(new("NumMedia", media.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        for (var i = 0; i < media.Length; i++)
        {
            payload.Add(new($"MediaContentType{i}", media[i].ContentType));
            payload.Add(new($"MediaUrl{i}", media[i].Url.ToString()!));
        }

        return payload;
    }

    internal static byte[] Jpeg(int size) => WithHeader([0xFF, 0xD8, 0xFF, 0xE0], size);

    internal static byte[] Png(int size) => WithHeader([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], size);

    private static byte[] WithHeader(byte[] header, int size)
    {
        var bytes = RandomNumberGenerator.GetBytes(size);
        header.CopyTo(bytes, 0);
        return bytes;
    }

    private static async Task AssertErrorAsync(HttpResponseMessage response, HttpStatusCode status, string reason)
    {
        Assert.Equal(status, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>(TestContext.Current.CancellationToken);
        Assert.Equal(reason, body.GetProperty("error").GetString());
    }
}

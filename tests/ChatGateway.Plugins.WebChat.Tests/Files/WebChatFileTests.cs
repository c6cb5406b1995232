using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

using ChatGateway.Abstractions;

using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Plugins.WebChat.Tests.Files;

/// <summary>
/// Files in the web chat over real HTTP, as the widget sends and opens them: uploads authorised and limited like
/// messages, messages naming only the visitor's own uploads, and files served only to whom the store lets see them.
/// </summary>
public sealed class WebChatFileTests
{
    /// <summary>A real 1×1 PNG.</summary>
    private static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==");

    private static readonly byte[] Pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% an invoice\n%%EOF\n");

    [Fact]
    public void Plugin_Always_DeclaresFilesWithA10MegabyteLimit()
    {
        var plugin = new WebChatChannelPlugin();

        Assert.True(plugin.Capabilities.HasFlag(ChannelCapabilities.Attachments));
        Assert.Equal(10L * 1024 * 1024, plugin.MaxAttachmentBytes);
    }

    [Fact]
    public async Task Upload_WithTheVisitorsToken_StoresTheFile_AndAnswersItsIdLinkAndReceipt()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();

        using var response = await UploadAsync(host, token, "IMG_0042.PNG", "image/png", Png);

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = await WebChatHost.ReadJsonAsync(response);
        var saved = Assert.Single(host.Files!.Saved);
        var answer = body.RootElement;
        Assert.Equal(saved.Id, answer.GetProperty("id").GetString());
        Assert.Equal(("IMG_0042.PNG", "image/png", Png.Length), (answer.GetProperty("fileName").GetString(), answer.GetProperty("contentType").GetString(), answer.GetProperty("size").GetInt32()));
        Assert.StartsWith($"files/{saved.Id}?", answer.GetProperty("url").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(answer.GetProperty("receipt").GetString()));
        Assert.Equal(Png, host.Files.BytesOf(saved.Id));
    }

    [Fact]
    public async Task Upload_WithoutATokenOrWithAForgedOne_Returns401AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();
        var forged = token[..^4] + (token.EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        using var none = await UploadAsync(host, null, "a.png", "image/png", Png);
        using var wrong = await UploadAsync(host, forged, "a.png", "image/png", Png);

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains(VisitorTokens.Header, await ErrorOfAsync(none), StringComparison.Ordinal);
        Assert.Empty(host.Files!.Saved);
    }

    [Fact]
    public async Task Upload_LargerThanTheInstancesLimit_Returns413WithTheReason_WhetherItsLengthIsDeclaredOrNot()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 1000);
        var token = await host.NewVisitorAsync();
        var big = Png.Concat(new byte[5000]).ToArray();
        var huge = Png.Concat(new byte[100_000]).ToArray();

        // Within the form's room over the limit: the store stops reading at the limit.
        using var counted = await UploadAsync(host, token, "big.png", "image/png", big);
        // Over the limit and its form overhead by the declared length: refused before any of it is read.
        using var declared = await UploadAsync(host, token, "huge.png", "image/png", huge);
        // Streamed without a declared length: Kestrel stops the body at the limit.
        using var streamed = await UploadAsync(host, token, "huge.png", "image/png", huge, chunked: true);

        foreach (var response in new[] { counted, declared, streamed })
        {
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Contains("larger than", await ErrorOfAsync(response), StringComparison.Ordinal);
        }

        Assert.Empty(host.Files!.Saved);
    }

    [Fact]
    public async Task Upload_OfATypeNotTaken_Returns415_AnEmptyFileOrNoForm_Returns400()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();

        using var page = await UploadAsync(host, token, "photo.png", "image/png", "<html><script>alert(1)</script></html>"u8.ToArray());
        using var empty = await UploadAsync(host, token, "empty.png", "image/png", []);
        using var json = await SendAsync(host, token, HttpMethod.Post, "files", JsonContent.Create(new { file = "x" }));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, page.StatusCode);
        Assert.Contains("not accepted", await ErrorOfAsync(page), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        Assert.Contains("empty", await ErrorOfAsync(empty), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.BadRequest, json.StatusCode);
        Assert.Contains("multipart/form-data", await ErrorOfAsync(json), StringComparison.Ordinal);
        Assert.Empty(host.Files!.Saved);
    }

    [Fact]
    public async Task Upload_OverTheFloodLimit_Returns429WithRetryAfter()
    {
        await using var host = await WebChatHost.StartAsync(s => s["Limits:UploadsPerMinute"] = "2", fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();

        for (var i = 0; i < 2; i++)
        {
            using var ok = await UploadAsync(host, token, "a.png", "image/png", Png);
            Assert.Equal(HttpStatusCode.Created, ok.StatusCode);
        }

        using var over = await UploadAsync(host, token, "a.png", "image/png", Png);
        Assert.Equal(HttpStatusCode.TooManyRequests, over.StatusCode);
        Assert.NotNull(over.Headers.RetryAfter);
        Assert.Equal(2, host.Files!.Saved.Count);
    }

    [Fact]
    public async Task Message_WithAPhotoAndNoText_IsAcceptedCarryingTheFileAsTheStoreSavedIt()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();
        var file = await UploadOkAsync(host, token, "../../etc/IMG_1.png", Png);

        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "  ", attachments = new[] { Reference(file) } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var message = Assert.Single(host.Inbound.Accepted);
        Assert.Equal("", message.Text);
        var attached = Assert.Single(message.Attachments!);
        Assert.Equal((file.GetProperty("id").GetString(), "IMG_1.png", "image/png", (long)Png.Length), (attached.Id, attached.FileName, attached.ContentType, attached.Size));
    }

    [Fact]
    public async Task Message_WithTextAndTwoFiles_CarriesBoth()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();
        var photo = await UploadOkAsync(host, token, "damage.png", Png);
        var invoice = await UploadOkAsync(host, token, "invoice.pdf", Pdf);

        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "the box was crushed", attachments = new[] { Reference(photo), Reference(invoice) } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var message = Assert.Single(host.Inbound.Accepted);
        Assert.Equal("the box was crushed", message.Text);
        Assert.Equal(["image/png", "application/pdf"], message.Attachments!.Select(a => a.ContentType));
    }

    [Fact]
    public async Task Message_NamingAFileTheVisitorDidNotUpload_Returns400AndNothingIsAccepted()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var alice = await host.NewVisitorAsync();
        var mallory = await host.NewVisitorAsync();
        var alicesFile = await UploadOkAsync(host, alice, "passport.png", Png);
        var mallorysFile = await UploadOkAsync(host, mallory, "mine.png", Png);
        var alicesId = alicesFile.GetProperty("id").GetString()!;

        var attempts = new object[]
        {
            new[] { Reference(alicesFile) }, // someone else's upload, with its receipt
            new[] { new { id = alicesId, receipt = mallorysFile.GetProperty("receipt").GetString() } }, // another file's receipt
            new[] { new { id = alicesId, receipt = (string?)null } }, // no receipt: an id alone
            new[] { new { id = Guid.NewGuid().ToString("N"), receipt = (string?)"1.AAAA" } }, // made up
            new[] { Reference(mallorysFile), Reference(mallorysFile) }, // the same file twice
        };
        var i = 0;
        foreach (var attachments in attempts)
        {
            using var response = await host.PostMessageAsync(mallory, new { clientMessageId = $"c{i++}", text = "look", attachments });
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.NotEmpty(await ErrorOfAsync(response));
        }

        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task Message_NamingAnUploadAfterItsReceiptRanOut_Returns400()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WebChatHost.StartAsync(clock: clock, fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();
        var file = await UploadOkAsync(host, token, "a.png", Png);

        clock.Advance(TimeSpan.FromHours(24));
        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "", attachments = new[] { Reference(file) } });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("upload it again", await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task File_OfTheVisitorsConversation_IsServedByTokenAndBySignedLink_WithSafeHeaders()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();
        var (photo, link) = await OnAMessageAsync(host, token, "damage.png", Png);
        var (invoice, invoiceLink) = await OnAMessageAsync(host, token, "Rechnung März.pdf", Pdf);

        using var byToken = await SendAsync(host, token, HttpMethod.Get, $"files/{photo}");
        using var byLink = await host.Client.GetAsync(WebChatHost.PathOf(link), TestContext.Current.CancellationToken);
        using var pdf = await host.Client.GetAsync(WebChatHost.PathOf(invoiceLink), TestContext.Current.CancellationToken);

        foreach (var response in new[] { byToken, byLink })
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(Png, await response.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
            Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("inline", response.Content.Headers.ContentDisposition!.DispositionType);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.Equal("default-src 'none'; sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
            Assert.True(response.Headers.CacheControl!.Private);
        }

        Assert.Equal(Pdf, await pdf.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
        Assert.Equal("application/pdf", pdf.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", pdf.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("Rechnung März.pdf", pdf.Content.Headers.ContentDisposition.FileNameStar);
        Assert.NotEqual(photo, invoice);
    }

    [Fact]
    public async Task File_OfSomeoneElse_AnUnknownId_OrATamperedOrExpiredLink_Is404()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var host = await WebChatHost.StartAsync(clock: clock, fileLimit: 64 * 1024);
        var alice = await host.NewVisitorAsync();
        var mallory = await host.NewVisitorAsync();
        var (photo, link) = await OnAMessageAsync(host, alice, "passport.png", Png);
        var (_, mallorysLink) = await OnAMessageAsync(host, mallory, "mine.png", Png);
        var tampered = link[..^3] + (link.EndsWith("AAA", StringComparison.Ordinal) ? "BBB" : "AAA");
        var otherVisitor = link.Replace($"v={WebChatHost.ExternalIdOf(alice)}", $"v={WebChatHost.ExternalIdOf(mallory)}", StringComparison.Ordinal);
        var otherFile = mallorysLink.Replace(mallorysLink[6..mallorysLink.IndexOf('?', StringComparison.Ordinal)], photo, StringComparison.Ordinal);

        var refused = new List<HttpResponseMessage>
        {
            await SendAsync(host, mallory, HttpMethod.Get, $"files/{photo}"),
            await SendAsync(host, alice, HttpMethod.Get, $"files/{Guid.NewGuid():N}"),
            await host.Client.GetAsync(WebChatHost.PathOf(tampered), TestContext.Current.CancellationToken),
            await host.Client.GetAsync(WebChatHost.PathOf(otherVisitor), TestContext.Current.CancellationToken),
            await host.Client.GetAsync(WebChatHost.PathOf(otherFile), TestContext.Current.CancellationToken),
        };
        clock.Advance(TimeSpan.FromHours(2));
        refused.Add(await host.Client.GetAsync(WebChatHost.PathOf(link), TestContext.Current.CancellationToken));

        foreach (var response in refused)
        {
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("no such file", await ErrorOfAsync(response));
            response.Dispose();
        }

        // Without any credential it says what is needed.
        using var bare = await host.Client.GetAsync(WebChatHost.PathOf($"files/{photo}"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.Unauthorized, bare.StatusCode);
    }

    [Fact]
    public async Task History_GivesEachFileALinkForThisVisitor()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();
        var (photo, _) = await OnAMessageAsync(host, token, "damage.png", Png);

        using var response = await host.GetAsVisitorAsync(token, "conversation");
        using var body = await WebChatHost.ReadJsonAsync(response);

        var file = Assert.Single(body.RootElement.GetProperty("messages")[0].GetProperty("attachments").EnumerateArray());
        Assert.Equal((photo, "damage.png", "image/png"), (file.GetProperty("id").GetString(), file.GetProperty("fileName").GetString(), file.GetProperty("contentType").GetString()));
        using var opened = await host.Client.GetAsync(WebChatHost.PathOf(file.GetProperty("url").GetString()!), TestContext.Current.CancellationToken);
        Assert.Equal(Png, await opened.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task AgentsReply_WithAFile_ArrivesLiveWithTheFilesNameSizeAndALinkThatOpensIt()
    {
        await using var host = await WebChatHost.StartAsync(fileLimit: 64 * 1024);
        var token = await host.NewVisitorAsync();
        var visitor = WebChatHost.ExternalIdOf(token);
        await using var content = new MemoryStream(Pdf);
        var invoice = await host.Files!.SaveAsync(content, "invoice.pdf", "application/pdf", TestContext.Current.CancellationToken);
        var reply = new HistoryMessage(Guid.NewGuid(), "out", "here is your invoice", "Bob", DateTimeOffset.UtcNow) { Attachments = [invoice] };
        host.History.Add(visitor, new ConversationHistory(Guid.NewGuid(), "assigned", [reply]));
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);

        var result = await host.Sender.SendAsync(new OutboundMessage
        {
            MessageId = reply.MessageId,
            ConversationId = Guid.NewGuid(),
            Recipient = new ChannelRecipient { ExternalId = visitor },
            Text = reply.Text,
            AgentName = "Bob",
            Attachments = [invoice],
            CreatedAt = reply.CreatedAt,
        }, TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        using var frame = await WebChatHost.ReceiveJsonAsync(socket);
        var file = Assert.Single(frame.RootElement.GetProperty("message").GetProperty("attachments").EnumerateArray());
        Assert.Equal((invoice.Id, "invoice.pdf", "application/pdf", (long)Pdf.Length), (file.GetProperty("id").GetString(), file.GetProperty("fileName").GetString(), file.GetProperty("contentType").GetString(), file.GetProperty("size").GetInt64()));
        using var opened = await host.Client.GetAsync(WebChatHost.PathOf(file.GetProperty("url").GetString()!), TestContext.Current.CancellationToken);
        Assert.Equal(Pdf, await opened.Content.ReadAsByteArrayAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Config_TellsTheWidgetTheFileLimit_AndAnInstanceWithoutAStoreTakesNoFiles()
    {
        await using var withFiles = await WebChatHost.StartAsync(fileLimit: 5000);
        await using var without = await WebChatHost.StartAsync();

        using var config = await withFiles.Client.GetAsync(WebChatHost.PathOf("config"), TestContext.Current.CancellationToken);
        using var body = await WebChatHost.ReadJsonAsync(config);
        Assert.Equal(5000, body.RootElement.GetProperty("maxFileBytes").GetInt64());
        Assert.Equal(10, body.RootElement.GetProperty("maxFiles").GetInt32());

        using var refused = await UploadAsync(without, await without.NewVisitorAsync(), "a.png", "image/png", Png);
        Assert.Equal(HttpStatusCode.NotFound, refused.StatusCode);
    }

    /// <summary>Uploads a file and puts it on a message of the visitor's latest conversation, as the gateway would; returns its id and link.</summary>
    private static async Task<(string Id, string Link)> OnAMessageAsync(WebChatHost host, string token, string name, byte[] bytes)
    {
        var uploaded = await UploadOkAsync(host, token, name, bytes);
        var file = new MessageAttachment
        {
            Id = uploaded.GetProperty("id").GetString()!,
            FileName = uploaded.GetProperty("fileName").GetString()!,
            ContentType = uploaded.GetProperty("contentType").GetString()!,
            Size = uploaded.GetProperty("size").GetInt64(),
        };
        var visitor = WebChatHost.ExternalIdOf(token);
        var earlier = (await host.History.GetLatestAsync(visitor, TestContext.Current.CancellationToken))?.Messages ?? [];
        host.History.Add(visitor, new ConversationHistory(Guid.NewGuid(), "waiting",
            [.. earlier, new HistoryMessage(Guid.NewGuid(), "in", "", null, DateTimeOffset.UtcNow) { Attachments = [file] }]));
        return (file.Id, uploaded.GetProperty("url").GetString()!);
    }

    private static object Reference(JsonElement uploaded) =>
        new { id = uploaded.GetProperty("id").GetString(), receipt = uploaded.GetProperty("receipt").GetString() };

    private static async Task<JsonElement> UploadOkAsync(WebChatHost host, string token, string name, byte[] bytes)
    {
        using var response = await UploadAsync(host, token, name, "application/octet-stream", bytes);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        using var body = await WebChatHost.ReadJsonAsync(response);
        return body.RootElement.Clone();
    }

    private static Task<HttpResponseMessage> UploadAsync(WebChatHost host, string? token, string name, string type, byte[] bytes, bool chunked = false)
    {
        var form = new MultipartFormDataContent();
        var content = chunked ? (HttpContent)new StreamContent(new MemoryStream(bytes)) : new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        form.Add(content, "file", name);
        if (chunked)
        {
            // Neither the form nor its file declares a length: the body arrives chunked.
            var stream = new StreamContent(new NonSeekableStream(form.ReadAsStream()));
            stream.Headers.ContentType = form.Headers.ContentType;
            return SendAsync(host, token, HttpMethod.Post, "files", stream);
        }

        return SendAsync(host, token, HttpMethod.Post, "files", form);
    }

    private static Task<HttpResponseMessage> SendAsync(WebChatHost host, string? token, HttpMethod method, string endpoint, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, WebChatHost.PathOf(endpoint)) { Content = content };
        if (token is not null)
        {
            request.Headers.Add(VisitorTokens.Header, token);
        }

        return host.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static async Task<string> ErrorOfAsync(HttpResponseMessage response)
    {
        using var body = await WebChatHost.ReadJsonAsync(response);
        return body.RootElement.GetProperty("error").GetString()!;
    }

    /// <summary>A stream that hides its length, so HttpClient sends it chunked.</summary>
    private sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}

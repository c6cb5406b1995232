using Microsoft.Extensions.DependencyInjection;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Conversations;

namespace ChatGateway.Gateway.Tests.Rich;

/// <summary>
/// Messages that carry more than text, through a channel with files, HTML and threads (the Rich test channel) and the
/// agent's desk: what the agent sees, who may open a file, what is refused. Bad inputs tried: a file whose name and
/// declared type lie (an HTML page as photo.jpg, a PDF as scan.png), a file over the instance's limit, an empty file,
/// a message with neither text nor file, an attachment id of another channel's, scripts, handlers, javascript: links
/// and remote pictures in HTML, an HTML bomb, HTML nested ten thousand deep.
/// </summary>
public sealed class RichMessageTests
{
    [Fact]
    public async Task CustomersPhoto_ReachesTheDesk_AsAPicture_AndOnlyTheAgentOfTheConversationTheSupervisorAndTheCustomerOpenIt()
    {
        await using var channel = await RichChannel.StartAsync();
        await using var alice = await channel.Host.SignInAsync("alice", online: false); // a supervisor
        await using var carol = await channel.Host.SignInAsync("carol", online: false);
        await using var bob = await channel.Host.SignInAsync("bob");

        var posted = await channel.SendAsync(new
        {
            id = "m1@buyer.test", from = "buyer@buyer.test", text = "hello, a question about this", subject = "Question",
            files = new[] { RichChannel.File("IMG_0042.PNG", "image/png", RichChannel.Png) },
        });
        var assigned = await bob.NextAssignedAsync();
        Assert.Equal(posted.GetProperty("conversationId").GetGuid(), assigned.Id);

        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!;
        Assert.Equal("Question", conversation.Subject);
        var message = Assert.Single(conversation.Messages!, m => m.Direction == "in");
        Assert.Equal("Question", message.Subject);
        var file = Assert.Single(message.Attachments);
        Assert.Equal(("IMG_0042.PNG", "image/png", RichChannel.Png.Length, true), (file.FileName, file.ContentType, (int)file.Size, file.Inline));

        var response = await bob.Http.GetAsync(file.Url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(RichChannel.Png, await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("image/png", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("inline", response.Content.Headers.ContentDisposition!.DispositionType);

        Assert.Equal(HttpStatusCode.OK, (await alice.Http.GetAsync(file.Url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.GetAsync(file.Url)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.GetAsync($"/api/attachments/{Guid.NewGuid():N}")).StatusCode);
        using var anonymous = channel.Host.CreateClient();
        Assert.NotEqual(HttpStatusCode.OK, (await anonymous.GetAsync(file.Url)).StatusCode);

        // The customer who sent it opens it through their channel; another customer of the channel does not.
        Assert.Equal(RichChannel.Png, await channel.Provider.GetByteArrayAsync($"/channels/mail/files/{file.Id}?customer=buyer@buyer.test"));
        Assert.Equal(HttpStatusCode.NotFound, (await channel.Provider.GetAsync($"/channels/mail/files/{file.Id}?customer=other@buyer.test")).StatusCode);
    }

    [Fact]
    public async Task FilesAreTypedByTheirBytes_AnHtmlPageCalledPhotoJpgIsRefused_APdfCalledScanPngIsAPdfDownload_TheMessageIsKept()
    {
        await using var channel = await RichChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        var page = Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body><script>fetch('/api/agents/me')</script></body></html>");
        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n");

        var posted = await channel.SendAsync(new
        {
            id = "m2@buyer.test", from = "buyer@buyer.test", text = "hello, two files",
            files = new[] { RichChannel.File("photo.jpg", "image/jpeg", page), RichChannel.File("scan.png", "image/png", pdf) },
        });
        Assert.Contains("text/html", Assert.Single(posted.GetProperty("refused").EnumerateArray()).GetString());

        var assigned = await bob.NextAssignedAsync();
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!;
        var file = Assert.Single(Assert.Single(conversation.Messages!).Attachments);
        Assert.Equal(("scan.png", "application/pdf", false), (file.FileName, file.ContentType, file.Inline));
        var response = await bob.Http.GetAsync(file.Url);
        Assert.Equal("application/pdf", response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Contains("sandbox", response.Headers.GetValues("Content-Security-Policy").Single());
    }

    [Fact]
    public async Task TheInstancesLimits_RefuseALargeOrEmptyFile_AMessageNeedsTextOrAFile_AndAFileOfAnotherChannelIsNotTaken()
    {
        await using var channel = await RichChannel.StartAsync("""{ "Attachments": { "MaxBytes": 1000 } }""");
        await using var bob = await channel.Host.SignInAsync("bob");

        var posted = await channel.SendAsync(new
        {
            id = "m3@buyer.test", from = "buyer@buyer.test", text = "",
            files = new[] { RichChannel.File("big.txt", "text/plain", new byte[2000].Select(_ => (byte)'a').ToArray()), RichChannel.File("empty.txt", "text/plain", []), RichChannel.File("ok.txt", "text/plain", "fine"u8.ToArray()) },
        });
        var refused = posted.GetProperty("refused").EnumerateArray().Select(r => r.GetString()!).ToList();
        Assert.Equal(2, refused.Count);
        Assert.Contains(refused, r => r.StartsWith("too large", StringComparison.Ordinal) && r.Contains("1000 bytes", StringComparison.Ordinal));
        Assert.Contains(refused, r => r.Contains("empty", StringComparison.Ordinal));
        var assigned = await bob.NextAssignedAsync();
        var message = Assert.Single((await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!.Messages!);
        Assert.Equal("ok.txt", Assert.Single(message.Attachments).FileName);
        Assert.Equal("", message.Text);

        var nothing = await channel.SendAsync(new { id = "m4@buyer.test", from = "buyer@buyer.test", text = "  " }, HttpStatusCode.BadRequest);
        Assert.Contains("no file", nothing.GetProperty("error").GetString());

        // An id the channel did not get from its store for this message: a file already on a message.
        var taken = Assert.Single(posted.GetProperty("files").EnumerateArray()).GetProperty("id").GetString();
        await using (var db = channel.Host.CreateDbContext())
        {
            Assert.Equal(1, db.Attachments.Count(a => a.MessageId != null));
        }

        var ingest = channel.Host.Services.GetRequiredService<ChatGateway.Gateway.Ingest.IngestService>();
        var error = await Assert.ThrowsAsync<Abstractions.InboundRejectedException>(() => ingest.AcceptAsync(RichChannel.Instance, new Abstractions.InboundMessage
        {
            ProviderMessageId = "m5@buyer.test",
            Sender = new Abstractions.ChannelSender { ExternalId = "buyer@buyer.test" },
            Text = "again",
            Attachments = [new Abstractions.MessageAttachment { Id = taken!, FileName = "ok.txt", ContentType = "text/plain", Size = 4 }],
        }, CancellationToken.None));
        Assert.Contains("already on a message", error.Message);
    }

    [Fact]
    public async Task HtmlBody_IsSanitisedBeforeAnAgentSeesIt_NoScriptsHandlersOrRemotePictures_InlinePicturesFromTheMessage()
    {
        await using var channel = await RichChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        const string html = """
            <html><head><style>body{background:url(https://tracker.example/bg.png)}</style><script>alert(1)</script></head>
            <body onload="alert(2)"><p style="color:red">Hello, the <b>box</b> arrived</p>
            <img src="https://tracker.example/open.gif?u=buyer" width="1" height="1">
            <img src="cid:photo1@buyer.test" alt="photo">
            <a href="javascript:alert(3)">click</a> <a href="https://shop.example.com/orders/1">order</a>
            <div onclick="alert(4)">x</div><iframe src="https://evil.example/"></iframe>
            <form action="https://evil.example/"><input name="password"></form>
            </body></html>
            """;
        await channel.SendAsync(new
        {
            id = "m6@buyer.test", from = "buyer@buyer.test", text = "Hello, the box arrived", html,
            files = new[] { RichChannel.File("photo.png", "image/png", RichChannel.Png, "<photo1@buyer.test>") },
        });
        var assigned = await bob.NextAssignedAsync();
        var message = Assert.Single((await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!.Messages!);
        var safe = message.Html!;
        Assert.Contains("<b>box</b>", safe);
        foreach (var banned in new[] { "<script", "alert(", "onload", "onclick", "javascript:", "tracker.example", "<iframe", "<form", "<input", "evil.example", "<style" })
        {
            Assert.DoesNotContain(banned, safe, StringComparison.OrdinalIgnoreCase);
        }

        var picture = Assert.Single(message.Attachments);
        Assert.Contains($"src=\"/api/attachments/{picture.Id}\"", safe);
        Assert.Contains("href=\"https://shop.example.com/orders/1\"", safe);
        Assert.Contains("rel=\"noopener noreferrer nofollow\"", safe);
        Assert.Equal("Hello, the box arrived", message.Text);
    }

    [Fact]
    public async Task AnHtmlBomb_OrHtmlNestedTenThousandDeep_IsKeptAsTextOnly_WithTheReasonForTheAgent()
    {
        await using var channel = await RichChannel.StartAsync();
        await using var bob = await channel.Host.SignInAsync("bob");
        var bomb = "<p>" + string.Concat(Enumerable.Repeat("<b>spam</b> ", 120_000)) + "</p>";
        var deep = string.Concat(Enumerable.Repeat("<div>", 10_000)) + "deep" + string.Concat(Enumerable.Repeat("</div>", 10_000));
        var first = await channel.SendAsync(new { id = "m7@buyer.test", from = "buyer@buyer.test", text = "a long one", html = bomb });
        await channel.SendAsync(new { id = "m8@buyer.test", from = "buyer@buyer.test", text = "a deep one", html = deep, inReplyTo = "m7@buyer.test" });

        var assigned = await bob.NextAssignedAsync();
        Assert.Equal(first.GetProperty("conversationId").GetGuid(), assigned.Id);
        var conversation = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{assigned.Id}"))!;
        Assert.Equal(2, conversation.Messages!.Count);
        Assert.All(conversation.Messages!, m => Assert.Null(m.Html));
        Assert.Contains("shown as text only", conversation.Messages![0].Text);
        Assert.StartsWith("a long one", conversation.Messages![0].Text);
        Assert.Contains("nests deeper", conversation.Messages![1].Text);
    }

    [Fact]
    public async Task AnAgentsFile_GoesOutWithTheReply_AndFilesTheReplysChannelCannotCarry_OrThatAreNotTheAgents_AreRefused()
    {
        await using var channel = await RichChannel.StartAsync(settings: new Dictionary<string, string?> { ["Attachments:MaxBytes"] = "102400" });
        await using var bob = await channel.Host.SignInAsync("bob");
        await channel.SendAsync(new { id = "m9@buyer.test", from = "buyer@buyer.test", text = "hello, can I see the size chart?", subject = "Sizes" });
        var assigned = await bob.NextAssignedAsync();

        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% size chart\n%%EOF\n");
        var uploaded = await UploadAsync(bob.Http, assigned.Id, "size-chart.pdf", "application/pdf", pdf, HttpStatusCode.Created);
        var file = uploaded.Deserialize<AttachmentDto>(new JsonSerializerOptions(JsonSerializerDefaults.Web))!;
        Assert.Equal("application/pdf", file.ContentType);

        // Refused uploads: over the gateway's limit (413), of a type not taken (415), not a form (400).
        Assert.Contains("100 KB", (await UploadAsync(bob.Http, assigned.Id, "big.pdf", "application/pdf", [.. pdf, .. new byte[200_000]], HttpStatusCode.RequestEntityTooLarge)).GetProperty("error").GetString());
        Assert.Contains("not accepted", (await UploadAsync(bob.Http, assigned.Id, "tool.exe", "application/octet-stream", [0x4D, 0x5A, 0x90, 0x00, 0x03], HttpStatusCode.UnsupportedMediaType)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/attachments", new { file = "x" })).StatusCode);

        var reply = await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/messages", new { text = "", attachments = new[] { file.Id } });
        Assert.Equal(HttpStatusCode.Accepted, reply.StatusCode);
        var replied = (await reply.Content.ReadFromJsonAsync<MessageDto>())!;
        Assert.Equal("size-chart.pdf", Assert.Single(replied.Attachments).FileName);

        var sent = await channel.SentAsync(s => s.GetProperty("messageId").GetGuid() == replied.Id);
        var sentFile = Assert.Single(sent.GetProperty("files").EnumerateArray());
        Assert.Equal(pdf, Convert.FromBase64String(sentFile.GetProperty("base64").GetString()!));
        Assert.Equal("Sizes", sent.GetProperty("subject").GetString());

        // The same file twice, a file of another agent's, an unknown id: refused, nothing sent.
        var again = await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/messages", new { text = "again", attachments = new[] { file.Id } });
        Assert.Equal(HttpStatusCode.BadRequest, again.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PostAsJsonAsync($"/api/conversations/{assigned.Id}/messages", new { text = "x", attachments = new[] { "nope" } })).StatusCode);
    }

    [Fact]
    public async Task FilesNoMessageTook_AreDeletedAfterTheirLifetime_FilesOnMessagesStay()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var channel = await RichChannel.StartAsync(settings: new Dictionary<string, string?> { ["Attachments:UnclaimedLifetime"] = "00:10:00" }, clock: clock);
        var kept = await channel.SendAsync(new { id = "u1@buyer.test", from = "buyer@buyer.test", text = "hello", files = new[] { RichChannel.File("kept.txt", "text/plain", "kept"u8.ToArray()) } });
        var keptId = Guid.Parse(Assert.Single(kept.GetProperty("files").EnumerateArray()).GetProperty("id").GetString()!);
        Assert.True(channel.Host.Services.GetRequiredService<ChatGateway.Gateway.Plugins.ChannelRegistry>().TryGetRunning(RichChannel.Instance, out var mail));
        var store = mail.Services!.GetRequiredService<Abstractions.IAttachmentStore>();
        var left = await store.SaveAsync(new MemoryStream("left"u8.ToArray()), "left.txt", "text/plain", CancellationToken.None);
        var attachments = channel.Host.Services.GetRequiredService<ChatGateway.Gateway.Attachments.AttachmentService>();

        clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(0, await attachments.DeleteUnclaimedAsync(CancellationToken.None));
        Assert.NotNull(await store.OpenReadAsync(left.Id, CancellationToken.None));

        clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await attachments.DeleteUnclaimedAsync(CancellationToken.None));
        Assert.Null(await store.OpenReadAsync(left.Id, CancellationToken.None));
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(channel.Host.DataDirectory, "attachments"), left.Id, SearchOption.AllDirectories));
        await using var read = await store.OpenReadAsync(keptId.ToString("N"), CancellationToken.None);
        Assert.NotNull(read);
    }

    [Fact]
    public async Task AFailedReplyWithAFile_SentAgainOnTheCustomersOtherMailbox_CarriesACopyOfItsFile()
    {
        await using var channel = await RichChannel.StartAsync(secondInstance: true);
        await using var bob = await channel.Host.SignInAsync("bob");
        await channel.SendAsync(new { id = "r1@buyer.test", from = "buyer@buyer.test", text = "hello, the invoice please", subject = "Invoice" });
        var conversation = await bob.NextAssignedAsync();
        await channel.SendAsync(new { id = "r2@buyer.test", from = "buyer@buyer.test", text = "hello, from my other address" }, instance: "mail2");
        await bob.NextAssignedAsync();

        var pdf = Encoding.ASCII.GetBytes("%PDF-1.4\n% invoice 1001\n%%EOF\n");
        var uploaded = await UploadAsync(bob.Http, conversation.Id, "invoice.pdf", "application/pdf", pdf, HttpStatusCode.Created);
        await channel.Provider.PostAsync("/channels/mail/fail-next", null);
        var reply = (await (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/messages", new { text = "here it is", attachments = new[] { uploaded.GetProperty("id").GetString() } }))
            .Content.ReadFromJsonAsync<MessageDto>())!;
        var failed = await bob.NextStatusAsync(m => m.Id == reply.Id && m.Status == "failed");
        Assert.Contains("mailbox full", failed.Message.Error);

        var other = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation.Id}"))!.ReplyChannels!.Single(c => c.ChannelInstanceId == "mail2");
        var resend = await bob.Http.PostAsJsonAsync($"/api/messages/{reply.Id}/resend", new { via = other.Id });
        Assert.Equal(HttpStatusCode.Accepted, resend.StatusCode);
        var resent = (await resend.Content.ReadFromJsonAsync<MessageDto>())!;
        var copy = Assert.Single(resent.Attachments);
        Assert.NotEqual(uploaded.GetProperty("id").GetString(), copy.Id);

        var sent = await channel.SentAsync(s => s.GetProperty("messageId").GetGuid() == resent.Id, instance: "mail2");
        Assert.Equal(pdf, Convert.FromBase64String(Assert.Single(sent.GetProperty("files").EnumerateArray()).GetProperty("base64").GetString()!));
        // The failed reply keeps its own file, still served.
        Assert.Equal(pdf, await bob.Http.GetByteArrayAsync($"/api/attachments/{uploaded.GetProperty("id").GetString()}"));
    }

    [Fact]
    public async Task AFileForAReplyOnAChannelThatCarriesNone_IsRefusedWithTheReason()
    {
        // The probe test channel carries text only (the web chat carries files now).
        await using var host = await Infrastructure.GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        using var provider = host.CreateClient();
        var conversationId = (await Routing.RoutingTests.Inbound(provider, "p1", "+15550001234", "hello, is this in stock?")).GetProperty("conversationId").GetGuid();
        await bob.NextAssignedAsync();

        var uploaded = await UploadAsync(bob.Http, conversationId, "photo.png", "image/png", RichChannel.Png, HttpStatusCode.Created);
        var reply = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "here", attachments = new[] { uploaded.GetProperty("id").GetString() } });
        Assert.Equal(HttpStatusCode.BadRequest, reply.StatusCode);
        Assert.Contains("carries no files", (await reply.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
    }

    internal static async Task<JsonElement> UploadAsync(HttpClient http, Guid conversationId, string name, string type, byte[] bytes, HttpStatusCode expected)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        form.Add(content, "file", name);
        var response = await http.PostAsync($"/api/conversations/{conversationId}/attachments", form);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(expected == response.StatusCode, $"expected {expected}, got {response.StatusCode}: {body}");
        return body;
    }
}

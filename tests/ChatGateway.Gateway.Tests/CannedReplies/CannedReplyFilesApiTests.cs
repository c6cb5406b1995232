using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Rich;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.CannedReplies;

/// <summary>
/// Canned replies with files (a size chart, a payment QR code) through the real host and the Rich test channel: a
/// supervisor's shared picture reaches the customer as a copy of its own, which only that customer opens, and the canned
/// file itself is never sent nor opened by a customer. Bad inputs tried: a file over the limit (413), a page called
/// chart.png (415), not a form (400), an agent's file for a shared reply (403), an agent naming files on a shared reply
/// (403), an unknown and a malformed attachment id (400), another agent's file (400, and 404 to open it), a file of another
/// reply (400), six files (400), a reply's upload used as a canned file (400), the canned file itself named in a customer
/// reply (400), copies for a conversation not the agent's (404) and of a reply not offered to them (404).
/// </summary>
public sealed class CannedReplyFilesApiTests
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);

    [Fact]
    public async Task SharedReplyWithAPicture_IsInsertedAsACopy_ThatOnlyItsCustomerOpens()
    {
        await using var channel = await RichChannel.StartAsync(settings: new Dictionary<string, string?> { ["Attachments:MaxBytes"] = "102400" });
        await using var alice = await channel.Host.SignInAsync("alice", online: false);
        await using var bob = await channel.Host.SignInAsync("bob");

        var chart = await UploadAsync(alice, "size-chart.png", "image/png", RichChannel.Png, HttpStatusCode.Created, shared: true);
        var created = await alice.Http.PostAsJsonAsync("/api/canned-replies", new { shortcut = "ccb", title = "尺码表", text = "{name}，尺码表请看图～", shared = true, attachmentIds = new[] { chart.Id } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var reply = await created.Content.ReadFromJsonAsync<JsonElement>();
        var listed = Assert.Single(reply.GetProperty("attachments").EnumerateArray());
        Assert.Equal(("size-chart.png", "image/png", chart.Id), (listed.GetProperty("fileName").GetString(), listed.GetProperty("contentType").GetString(), listed.GetProperty("id").GetString()));

        // Bob is offered it with its picture, which he may open.
        await channel.SendAsync(new { id = "cf1@buyer.test", from = "buyer@buyer.test", text = "尺码怎么选？" });
        var conversation = await bob.NextAssignedAsync();
        var offered = (await bob.Http.GetFromJsonAsync<List<JsonElement>>($"/api/canned-replies?conversationId={conversation.Id}"))!.First(r => r.GetProperty("shortcut").GetString() == "ccb");
        var url = Assert.Single(offered.GetProperty("attachments").EnumerateArray()).GetProperty("url").GetString()!;
        Assert.Equal(RichChannel.Png, await bob.Http.GetByteArrayAsync(url));

        // Inserting it copies the picture into bob's files for this reply; text and picture go out together.
        var copies = await bob.Http.PostAsJsonAsync($"/api/canned-replies/{offered.GetProperty("id").GetString()}/copies", new { conversationId = conversation.Id });
        Assert.Equal(HttpStatusCode.Created, copies.StatusCode);
        var copy = Assert.Single((await copies.Content.ReadFromJsonAsync<List<AttachmentDto>>(Web))!);
        Assert.NotEqual(chart.Id, copy.Id);
        Assert.Equal("size-chart.png", copy.FileName);

        // The canned file itself never goes on a message.
        var direct = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/messages", new { text = "尺码表", attachments = new[] { chart.Id } });
        Assert.Equal(HttpStatusCode.BadRequest, direct.StatusCode);

        var sent = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/messages", new { text = offered.GetProperty("filled").GetString(), attachments = new[] { copy.Id } });
        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var message = (await sent.Content.ReadFromJsonAsync<MessageDto>(Web))!;
        Assert.Equal(copy.Id, Assert.Single(message.Attachments).Id);
        var out1 = await channel.SentAsync(s => s.GetProperty("messageId").GetGuid() == message.Id);
        Assert.Equal(RichChannel.Png, Convert.FromBase64String(Assert.Single(out1.GetProperty("files").EnumerateArray()).GetProperty("base64").GetString()!));

        // The customer opens their copy; another customer does not, and nobody's channel serves the canned original.
        Assert.Equal(RichChannel.Png, await channel.Provider.GetByteArrayAsync($"/channels/mail/files/{copy.Id}?customer=buyer@buyer.test"));
        Assert.Equal(HttpStatusCode.NotFound, (await channel.Provider.GetAsync($"/channels/mail/files/{copy.Id}?customer=other@buyer.test")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await channel.Provider.GetAsync($"/channels/mail/files/{chart.Id}?customer=buyer@buyer.test")).StatusCode);

        // A reply's file is kept while the reply has it, past the lifetime of files no message took.
        var attachments = channel.Host.Services.GetRequiredService<ChatGateway.Gateway.Attachments.AttachmentService>();
        await using (var db = channel.Host.CreateDbContext())
        {
            var row = await db.Attachments.FindAsync(Guid.Parse(chart.Id));
            row!.CreatedAt = row.CreatedAt.AddDays(-3);
            await db.SaveChangesAsync();
        }

        await attachments.DeleteUnclaimedAsync(CancellationToken.None);
        Assert.Equal(RichChannel.Png, await bob.Http.GetByteArrayAsync(url));

        var paths = (await bob.Http.GetFromJsonAsync<JsonElement>("/openapi/v1.json")).GetProperty("paths");
        foreach (var path in new[] { "/api/canned-replies/files", "/api/canned-replies/{id}/copies" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        }
    }

    [Fact]
    public async Task BadFilesAndIds_AreRefusedWithAReason_AndChangeNothing()
    {
        await using var channel = await RichChannel.StartAsync(settings: new Dictionary<string, string?> { ["Attachments:MaxBytes"] = "102400" });
        await using var alice = await channel.Host.SignInAsync("alice", online: false);
        await using var bob = await channel.Host.SignInAsync("bob");
        await using var carol = await channel.Host.SignInAsync("carol", online: false);

        // Too large, a page called chart.png, not a form, an agent's file for a shared reply.
        Assert.Contains("100 KB", (await UploadRawAsync(bob, "big.png", "image/png", [.. RichChannel.Png, .. new byte[200_000]], HttpStatusCode.RequestEntityTooLarge)).GetProperty("error").GetString());
        var page = Encoding.UTF8.GetBytes("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>");
        Assert.Contains("not accepted", (await UploadRawAsync(bob, "chart.png", "image/png", page, HttpStatusCode.UnsupportedMediaType)).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PostAsJsonAsync("/api/canned-replies/files", new { file = "x" })).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await UploadResponseAsync(bob, "qr.png", "image/png", RichChannel.Png, shared: true)).StatusCode);

        var mine = await UploadAsync(bob, "qr.png", "image/png", RichChannel.Png, HttpStatusCode.Created);
        var carols = await UploadAsync(carol, "label.png", "image/png", RichChannel.Png, HttpStatusCode.Created);
        var before = await CountAsync(bob);

        async Task RefusedAsync(object body, string reason)
        {
            var response = await bob.Http.PostAsJsonAsync("/api/canned-replies", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Contains(reason, (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        }

        await RefusedAsync(new { shortcut = "fk", title = "付款码", text = "扫码付款", attachmentIds = new[] { Guid.NewGuid().ToString("N") } }, "not a file you uploaded for canned replies");
        await RefusedAsync(new { shortcut = "fk", title = "付款码", text = "扫码付款", attachmentIds = new[] { "nope" } }, "is not the id of an uploaded file");
        await RefusedAsync(new { shortcut = "fk", title = "付款码", text = "扫码付款", attachmentIds = new[] { carols.Id } }, "not a file you uploaded for canned replies");
        await RefusedAsync(new { shortcut = "fk", title = "付款码", text = "扫码付款", attachmentIds = Enumerable.Range(0, 6).Select(_ => mine.Id).ToArray() }, "at most 5 files");
        await RefusedAsync(new { shortcut = "fk", title = "付款码", text = "扫码付款", attachmentIds = new[] { mine.Id, mine.Id } }, "given twice");
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/attachments/{carols.Id}")).StatusCode);

        // A reply's upload is not a canned file.
        await channel.SendAsync(new { id = "cf2@buyer.test", from = "buyer@buyer.test", text = "付款码发我" });
        var conversation = await bob.NextAssignedAsync();
        var upload = await RichMessageTests.UploadAsync(bob.Http, conversation.Id, "upload.png", "image/png", RichChannel.Png, HttpStatusCode.Created);
        await RefusedAsync(new { shortcut = "fk", title = "付款码", text = "扫码付款", attachmentIds = new[] { upload.GetProperty("id").GetString() } }, "not a file you uploaded for canned replies");
        Assert.Equal(before, await CountAsync(bob));

        // Bob's own reply with his file; a second reply may not take the same file.
        var created = await bob.Http.PostAsJsonAsync("/api/canned-replies", new { shortcut = "fk", title = "付款码", text = "扫码付款", attachmentIds = new[] { mine.Id } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        await RefusedAsync(new { shortcut = "fk2", title = "付款码2", text = "扫码", attachmentIds = new[] { mine.Id } }, "not a file you uploaded for canned replies");

        // A change without attachmentIds keeps the files; a refused change keeps them too.
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PutAsJsonAsync($"/api/canned-replies/{id}", new { shortcut = "fk", title = "付款二维码", text = "扫码付款" })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PutAsJsonAsync($"/api/canned-replies/{id}", new { shortcut = "fk", title = "付款二维码", text = "扫码付款", attachmentIds = new[] { carols.Id } })).StatusCode);
        Assert.Equal(mine.Id, Assert.Single(await FilesAsync(bob, "fk")));

        // Agents name no files on a shared reply; a supervisor's shared reply takes only files the supervisor uploaded.
        var greeting = (await bob.Http.GetFromJsonAsync<List<JsonElement>>("/api/canned-replies"))!.First(r => r.GetProperty("shortcut").GetString() == "nh").GetProperty("id").GetString();
        Assert.Equal(HttpStatusCode.Forbidden, (await bob.Http.PutAsJsonAsync($"/api/canned-replies/{greeting}", new { shortcut = "nh", title = "问候", text = "您好", attachmentIds = new[] { mine.Id } })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await alice.Http.PutAsJsonAsync($"/api/canned-replies/{greeting}", new { shortcut = "nh", title = "问候", text = "您好", attachmentIds = new[] { carols.Id } })).StatusCode);
        Assert.Empty(await FilesAsync(bob, "nh"));

        // Copies: only for the agent's own open conversation, of a reply offered to them.
        Assert.Equal(HttpStatusCode.NotFound, (await carol.Http.PostAsJsonAsync($"/api/canned-replies/{id}/copies", new { conversationId = conversation.Id })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsJsonAsync($"/api/canned-replies/{Guid.NewGuid()}/copies", new { conversationId = conversation.Id })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await bob.Http.PostAsync($"/api/canned-replies/{id}/copies", new StringContent("x", Encoding.UTF8, "text/plain"))).StatusCode);

        // Removing the files from the reply: the reply stays, without them.
        Assert.Equal(HttpStatusCode.OK, (await bob.Http.PutAsJsonAsync($"/api/canned-replies/{id}", new { shortcut = "fk", title = "付款二维码", text = "扫码付款", attachmentIds = Array.Empty<string>() })).StatusCode);
        Assert.Empty(await FilesAsync(bob, "fk"));
    }

    private static async Task<AttachmentDto> UploadAsync(AgentSession agent, string name, string type, byte[] bytes, HttpStatusCode expected, bool shared = false) =>
        (await UploadRawAsync(agent, name, type, bytes, expected, shared)).Deserialize<AttachmentDto>(Web)!;

    private static async Task<JsonElement> UploadRawAsync(AgentSession agent, string name, string type, byte[] bytes, HttpStatusCode expected, bool shared = false)
    {
        var response = await UploadResponseAsync(agent, name, type, bytes, shared);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(expected == response.StatusCode, $"expected {expected}, got {response.StatusCode}: {body}");
        return body;
    }

    private static async Task<HttpResponseMessage> UploadResponseAsync(AgentSession agent, string name, string type, byte[] bytes, bool shared)
    {
        using var form = new MultipartFormDataContent();
        var content = new ByteArrayContent(bytes);
        content.Headers.ContentType = new MediaTypeHeaderValue(type);
        form.Add(content, "file", name);
        return await agent.Http.PostAsync($"/api/canned-replies/files{(shared ? "?shared=true" : "")}", form);
    }

    private static async Task<int> CountAsync(AgentSession agent) => (await agent.Http.GetFromJsonAsync<List<JsonElement>>("/api/canned-replies"))!.Count;

    private static async Task<List<string>> FilesAsync(AgentSession agent, string shortcut) =>
        (await agent.Http.GetFromJsonAsync<List<JsonElement>>("/api/canned-replies"))!
            .First(r => r.GetProperty("shortcut").GetString() == shortcut)
            .GetProperty("attachments").EnumerateArray().Select(a => a.GetProperty("id").GetString()!).ToList();
}

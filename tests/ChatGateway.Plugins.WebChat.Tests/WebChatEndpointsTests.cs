using System.Net;
using System.Net.Http.Json;
using System.Text;

using ChatGateway.Abstractions;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>The widget's REST endpoints over real HTTP, as a browser calls them.</summary>
public sealed class WebChatEndpointsTests
{
    [Fact]
    public async Task PostVisitors_Always_ReturnsANewWellFormedToken()
    {
        await using var host = await WebChatHost.StartAsync();

        var first = await host.NewVisitorAsync();
        var second = await host.NewVisitorAsync();

        Assert.True(host.IsValidToken(first));
        Assert.True(host.IsValidToken(second));
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task PostMessage_NoToken_Returns401WithErrorAndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync();

        using var response = await host.PostMessageAsync(null, new { clientMessageId = "c1", text = "hello" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Contains(VisitorTokens.Header, await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_MalformedToken_Returns401AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync();

        using var response = await host.PostMessageAsync("not-a-visitor-token", new { clientMessageId = "c1", text = "hello" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.NotEmpty(await ErrorOfAsync(response));
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_MalformedJson_Returns400WithError()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new StringContent("""{"clientMessageId": "c1", "text": """, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("malformed JSON", await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_FormInsteadOfJson_Returns415()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new StringContent("clientMessageId=c1&text=hello", Encoding.UTF8, "application/x-www-form-urlencoded"));

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Contains("application/json", await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_TextOverLimit_Returns413AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync(settings => settings["MaxMessageLength"] = "50");
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = new string('a', 51) });

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal("message is 51 characters; the limit is 50", await ErrorOfAsync(response));
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_TextAtLimit_IsAccepted()
    {
        await using var host = await WebChatHost.StartAsync(settings => settings["MaxMessageLength"] = "50");
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = new string('a', 50) });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(new string('a', 50), Assert.Single(host.Inbound.Accepted).Text);
    }

    [Fact]
    public async Task PostMessage_BodyOverMaxBodyBytes_Returns413AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync(settings =>
        {
            settings["MaxMessageLength"] = "50";
            settings["MaxBodyBytes"] = "2000";
        });
        var token = await host.NewVisitorAsync();
        var json = $$"""{"clientMessageId":"c1","text":"hello","padding":"{{new string('x', 3000)}}"}""";

        using var response = await host.PostMessageAsync(token, new StringContent(json, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("2000 bytes", await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_ChunkedBodyOverMaxBodyBytes_Returns413AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync(settings =>
        {
            settings["MaxMessageLength"] = "50";
            settings["MaxBodyBytes"] = "2000";
        });
        var token = await host.NewVisitorAsync();

        // JsonContent has no Content-Length, so the limit must hold while the body streams in.
        using var response = await host.PostMessageAsync(token, JsonContent.Create(new { clientMessageId = "c1", text = "hello", padding = new string('x', 3000) }));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Contains("2000 bytes", await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_TextAfterTheJsonObject_Returns400AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new StringContent("""{"clientMessageId": "c1", "text": "hello"} {"x": 1}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("malformed JSON", await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_StreamedInPieces_OrInUtf16_IsStoredWithItsText()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        // A chunked body arrives in several reads; a UTF-16 body is transcoded. Both must store the same text.
        using var chunked = await host.PostMessageAsync(token, JsonContent.Create(new { clientMessageId = "c1", text = "这件衣服有M码吗? " + new string('a', 1500) }));
        using var utf16 = await host.PostMessageAsync(token, new StringContent("""{"clientMessageId": "c2", "text": "还有L码吗?"}""", Encoding.Unicode, "application/json"));

        Assert.Equal(HttpStatusCode.Accepted, chunked.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, utf16.StatusCode);
        Assert.Equal(["这件衣服有M码吗? " + new string('a', 1500), "还有L码吗?"], host.Inbound.Accepted.Select(m => m.Text));
    }

    [Fact]
    public async Task PostMessage_NoClientMessageId_Returns400AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new { text = "hello" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.StartsWith("clientMessageId is required", await ErrorOfAsync(response), StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_BlankText_Returns400AndStoresNothing()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "  " });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("text is required (or a file)", await ErrorOfAsync(response));
        Assert.Empty(host.Inbound.Accepted);
    }

    [Fact]
    public async Task PostMessage_AnonymousWithTypedDetails_ReachesTheSinkAsDeclaredOnly()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new
        {
            clientMessageId = "c-1",
            text = "Is the blue teapot in stock? <b>now</b>",
            name = "Ada Lovelace",
            phone = "+14155550123",
            email = "ada@example.com",
        });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        using var body = await WebChatHost.ReadJsonAsync(response);
        Assert.True(body.RootElement.GetProperty("messageId").TryGetGuid(out _));
        Assert.False(body.RootElement.GetProperty("duplicate").GetBoolean());
        var message = Assert.Single(host.Inbound.Accepted);
        Assert.Equal("Is the blue teapot in stock? <b>now</b>", message.Text);
        // What an anonymous visitor typed is declared, never proven: no DisplayName, Phone or Email.
        Assert.Equal(
            new ChannelSender { ExternalId = WebChatHost.ExternalIdOf(token), DeclaredName = "Ada Lovelace", DeclaredPhone = "+14155550123", DeclaredEmail = "ada@example.com" },
            message.Sender);
        Assert.EndsWith("c-1", message.ProviderMessageId, StringComparison.Ordinal);
        Assert.DoesNotContain(token, message.ProviderMessageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostMessage_TwoVisitorsSameClientMessageId_GetDifferentProviderIds()
    {
        await using var host = await WebChatHost.StartAsync();
        var first = await host.NewVisitorAsync();
        var second = await host.NewVisitorAsync();

        using var firstResponse = await host.PostMessageAsync(first, new { clientMessageId = "m1", text = "from the first" });
        using var secondResponse = await host.PostMessageAsync(second, new { clientMessageId = "m1", text = "from the second" });

        Assert.Equal(HttpStatusCode.Accepted, firstResponse.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, secondResponse.StatusCode);
        var accepted = host.Inbound.Accepted;
        Assert.Equal(2, accepted.Count);
        Assert.NotEqual(accepted[0].ProviderMessageId, accepted[1].ProviderMessageId);
        Assert.NotEqual(accepted[0].Sender.ExternalId, accepted[1].Sender.ExternalId);
    }

    [Fact]
    public async Task PostMessage_SameVisitorRetriesAClientMessageId_KeepsTheProviderId()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var firstResponse = await host.PostMessageAsync(token, new { clientMessageId = "m1", text = "hello" });
        using var retryResponse = await host.PostMessageAsync(token, new { clientMessageId = "m1", text = "hello" });

        // The gateway stores once per provider id, so a retried send must carry the same one.
        var accepted = host.Inbound.Accepted;
        Assert.Equal(2, accepted.Count);
        Assert.Equal(accepted[0].ProviderMessageId, accepted[1].ProviderMessageId);
    }

    [Fact]
    public async Task PostMessage_GatewayRefuses_Returns400WithTheReason()
    {
        await using var host = await WebChatHost.StartAsync();
        host.Inbound.RejectWith = "the shop is closed for maintenance";
        var token = await host.NewVisitorAsync();

        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "hello" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("the shop is closed for maintenance", await ErrorOfAsync(response));
    }

    [Fact]
    public async Task GetConversation_IdNotGrantedToTheVisitor_Returns404()
    {
        await using var host = await WebChatHost.StartAsync();
        var owner = await host.NewVisitorAsync();
        var stranger = await host.NewVisitorAsync();
        var conversation = Conversation("my order number is 4711");
        host.History.Add(WebChatHost.ExternalIdOf(owner), conversation);

        using var strangers = await host.GetAsVisitorAsync(stranger, $"conversations/{conversation.ConversationId}");
        using var owners = await host.GetAsVisitorAsync(owner, $"conversations/{conversation.ConversationId}");

        Assert.Equal(HttpStatusCode.NotFound, strangers.StatusCode);
        Assert.DoesNotContain("4711", await strangers.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, owners.StatusCode);
        using var body = await WebChatHost.ReadJsonAsync(owners);
        Assert.Equal("my order number is 4711", body.RootElement.GetProperty("messages")[0].GetProperty("text").GetString());
    }

    [Theory]
    [InlineData("not-a-guid")]
    [InlineData("8d9e6a43-2c4b-4f2e-9a51-0c7b1e2f3a4d")]
    public async Task GetConversation_UnknownOrMalformedId_Returns404(string id)
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.GetAsVisitorAsync(token, $"conversations/{id}");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("no such conversation", await ErrorOfAsync(response));
    }

    [Fact]
    public async Task GetConversation_NoToken_Returns401()
    {
        await using var host = await WebChatHost.StartAsync();

        using var response = await host.Client.GetAsync(WebChatHost.PathOf($"conversations/{Guid.NewGuid()}"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task GetLatestConversation_NoHistory_Returns204()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        using var response = await host.GetAsVisitorAsync(token, "conversation");

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Fact]
    public async Task GetLatestConversation_WithHistory_ReturnsTheVisitorsLatest()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();
        host.History.Add(WebChatHost.ExternalIdOf(token), Conversation("an older question"));
        var latest = Conversation("the latest question");
        host.History.Add(WebChatHost.ExternalIdOf(token), latest);

        using var response = await host.GetAsVisitorAsync(token, "conversation");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = await WebChatHost.ReadJsonAsync(response);
        Assert.Equal(latest.ConversationId, body.RootElement.GetProperty("conversationId").GetGuid());
    }

    [Fact]
    public async Task GetWidgetJs_Always_ReturnsJavaScript()
    {
        await using var host = await WebChatHost.StartAsync();

        using var response = await host.Client.GetAsync(WebChatHost.PathOf("widget.js"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/javascript", response.Content.Headers.ContentType?.MediaType);
        var script = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrWhiteSpace(script));
    }

    [Fact]
    public async Task GetConfig_Always_ReturnsTheConfiguredMaxMessageLength()
    {
        await using var host = await WebChatHost.StartAsync(settings =>
        {
            settings["MaxMessageLength"] = "300";
            settings["Title"] = "Ask the tea shop";
        });

        using var response = await host.Client.GetAsync(WebChatHost.PathOf("config"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = await WebChatHost.ReadJsonAsync(response);
        Assert.Equal(300, body.RootElement.GetProperty("maxMessageLength").GetInt32());
        Assert.Equal("Ask the tea shop", body.RootElement.GetProperty("title").GetString());
    }

    private static ConversationHistory Conversation(string text) => new(
        Guid.NewGuid(),
        "waiting",
        [new HistoryMessage(Guid.NewGuid(), "in", text, null, DateTimeOffset.UnixEpoch)]);

    private static async Task<string> ErrorOfAsync(HttpResponseMessage response)
    {
        using var body = await WebChatHost.ReadJsonAsync(response);
        return body.RootElement.GetProperty("error").GetString()!;
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Routing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;

namespace ChatGateway.Gateway.Tests.Web;

/// <summary>
/// The agent desk API, health and OpenAPI through the real host. Bad inputs tried: calls without sign-in,
/// a wrong password, malformed and non-JSON bodies, an unknown presence, an empty or oversized reply,
/// a reply to someone else's or a closed conversation, an oversized or malformed widget message.
/// </summary>
public sealed class AgentApiTests
{
    [Theory]
    [InlineData("GET", "/api/agents/me")]
    [InlineData("GET", "/api/conversations")]
    [InlineData("GET", "/api/conversations/6f0b8e2a-5a7c-4d7e-9a51-6d5c2f0e9b11")]
    [InlineData("POST", "/api/conversations/6f0b8e2a-5a7c-4d7e-9a51-6d5c2f0e9b11/messages")]
    [InlineData("POST", "/api/conversations/6f0b8e2a-5a7c-4d7e-9a51-6d5c2f0e9b11/close")]
    [InlineData("PUT", "/api/agents/me/presence")]
    [InlineData("GET", "/api/messages/failed")]
    public async Task AgentEndpoint_WithoutSignIn_Returns401(string method, string path)
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        var response = await http.SendAsync(new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { text = "x", presence = "online" }) });
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task LiveConnection_WithoutSignIn_IsRefused()
    {
        await using var host = await GatewayHost.StartAsync();
        var hub = new HubConnectionBuilder().WithUrl(new Uri(host.BaseAddress, "/hubs/agent")).Build();
        var ex = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, ex.StatusCode);
    }

    [Fact]
    public async Task Login_BadInputs_AreRejectedWithReasons()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();

        var wrong = await http.PostAsJsonAsync("/api/auth/login", new { userName = "alice", password = "guess" });
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("wrong user name or password", await wrong.Content.ReadAsStringAsync());

        var unknown = await http.PostAsJsonAsync("/api/auth/login", new { userName = "mallory", password = GatewayHost.DemoPassword });
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);

        var malformed = await http.PostAsync("/api/auth/login", new StringContent("{\"userName\": ", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("malformed JSON", await malformed.Content.ReadAsStringAsync());

        var form = await http.PostAsync("/api/auth/login", new FormUrlEncodedContent(new Dictionary<string, string> { ["userName"] = "alice" }));
        Assert.Equal(HttpStatusCode.BadRequest, form.StatusCode);
        Assert.Contains("Content-Type: application/json", await form.Content.ReadAsStringAsync());

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/api/agents/me")).StatusCode);
    }

    [Fact]
    public async Task Agent_SignsInAndOut_WithPasswordsStoredHashed()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice", online: false);
        var me = await alice.Http.GetFromJsonAsync<JsonElement>("/api/agents/me");
        Assert.Equal("Alice", me.GetProperty("displayName").GetString());
        Assert.Equal("offline", me.GetProperty("presence").GetString());
        Assert.Equal("online", (await alice.SetPresenceAsync("online")).Presence);

        var bad = await alice.Http.PutAsJsonAsync("/api/agents/me/presence", new { presence = "sleeping" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);

        await using (var db = host.CreateDbContext())
        {
            var stored = await db.Agents.SingleAsync(a => a.UserName == "alice");
            Assert.StartsWith("pbkdf2-sha256$", stored.PasswordHash);
            Assert.DoesNotContain(GatewayHost.DemoPassword, stored.PasswordHash);
        }

        Assert.Equal(HttpStatusCode.NoContent, (await alice.Http.PostAsync("/api/auth/logout", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await alice.Http.GetAsync("/api/agents/me")).StatusCode);
    }

    [Fact]
    public async Task ConversationList_PutsTheCustomerWhoWroteLast_OnTop_WithTheirNewestMessagesTime()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        using var http = host.CreateClient();
        var first = (await RoutingTests.Inbound(http, "o-1", "+10000000011", "hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        await Task.Delay(50);
        var second = (await RoutingTests.Inbound(http, "o-2", "+10000000012", "hi there")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();
        Assert.Equal([second, first], (await alice.ListAsync()).Select(c => c.Id));

        // The first customer writes again, several times within a second.
        await Task.Delay(50);
        for (var i = 0; i < 3; i++)
        {
            await RoutingTests.Inbound(http, $"o-1-{i}", "+10000000011", $"one more thing {i}");
        }

        var list = await alice.ListAsync();
        Assert.Equal([first, second], list.Select(c => c.Id));
        await using var db = host.CreateDbContext();
        var newest = await db.Messages.Where(m => m.ConversationId == first).OrderByDescending(m => m.CreatedAt).Select(m => m.CreatedAt).FirstAsync();
        Assert.Equal(newest, list[0].LastMessageAt);
        var detail = await alice.Http.GetFromJsonAsync<JsonElement>($"/api/conversations/{first}");
        Assert.Equal(newest, detail.GetProperty("lastMessageAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Reply_BadInputs_AreRejected_AndNothingIsSent()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        await using var bob = await host.SignInAsync("bob", online: false);
        using var http = host.CreateClient();
        var conversationId = (await RoutingTests.Inbound(http, "m1", "+10000000001", "hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();

        var empty = await alice.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "  " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);
        var tooLong = await alice.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = new string('x', 4001) });
        Assert.Equal(HttpStatusCode.BadRequest, tooLong.StatusCode);
        Assert.Contains("the limit is 4000", await tooLong.Content.ReadAsStringAsync());
        var malformed = await alice.Http.PostAsync($"/api/conversations/{conversationId}/messages", new StringContent("{oops", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);

        // Another agent can neither read nor answer alice's conversation.
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.GetAsync($"/api/conversations/{conversationId}")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "hi" })).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.Http.PostAsync($"/api/conversations/{conversationId}/close", null)).StatusCode);

        await alice.CloseAsync(conversationId);
        var afterClose = await alice.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text = "too late" });
        Assert.Equal(HttpStatusCode.Conflict, afterClose.StatusCode);

        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync(m => m.Direction == ChatGateway.Gateway.Store.MessageDirection.Out));
    }

    [Fact]
    public async Task WidgetMessage_BadInputs_AreRejectedWithReasons_AndNothingIsStored()
    {
        await using var host = await GatewayHost.StartAsync(); // MaxMessageLength 500 in the test plugins.json
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        using var anonymous = host.CreateClient();

        var oversized = await visitor.SendAsync(new string('长', 501));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, oversized.StatusCode);
        Assert.Contains("the limit is 500", await oversized.Content.ReadAsStringAsync());

        var malformed = await visitor.Http.PostAsync("/channels/webchat/messages", new StringContent("{\"text\": \"hi\"", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        Assert.Contains("malformed JSON", await malformed.Content.ReadAsStringAsync());

        var noToken = await anonymous.PostAsJsonAsync("/channels/webchat/messages", new { clientMessageId = "1", text = "hi" });
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);

        var forgedToken = new HttpRequestMessage(HttpMethod.Post, "/channels/webchat/messages") { Content = JsonContent.Create(new { clientMessageId = "1", text = "hi" }) };
        forgedToken.Headers.Add("X-Visitor-Token", "short");
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(forgedToken)).StatusCode);

        var empty = await visitor.SendAsync("   ");
        Assert.Equal(HttpStatusCode.BadRequest, empty.StatusCode);

        var huge = await visitor.Http.PostAsync("/channels/webchat/messages", new StringContent(new string(' ', 40_000) + "{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, huge.StatusCode);

        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
        Assert.Equal(0, await db.Contacts.CountAsync());

        // The same client message id sent twice (a retry after a network error) is stored once.
        var first = await visitor.SendOkAsync("retry me", clientMessageId: "c-1");
        var again = await visitor.SendOkAsync("retry me", clientMessageId: "c-1");
        Assert.True(again.GetProperty("duplicate").GetBoolean());
        Assert.Equal(first.GetProperty("messageId").GetGuid(), again.GetProperty("messageId").GetGuid());
    }

    [Fact]
    public async Task Healthz_ReportsStoreRedisAndEveryChannel()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        var response = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var checks = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks");
        Assert.Equal("ok", checks.GetProperty("store").GetString());
        Assert.Equal("ok", checks.GetProperty("redis").GetString());
        Assert.Equal("ok", checks.GetProperty("channel:webchat").GetString());
        Assert.Equal("ok", checks.GetProperty("channel:probe").GetString());
    }

    [Fact]
    public async Task Healthz_WithRedisUnreachable_Returns503()
    {
        // Nothing listens on port 1: the gateway starts, but says it is not ready.
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["ConnectionStrings:Redis"] = "127.0.0.1:1,connectTimeout=500" });
        using var http = host.CreateClient();
        var response = await http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotEqual("ok", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("checks").GetProperty("redis").GetString());
    }

    [Fact]
    public async Task OpenApi_DescribesTheAgentApi()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();
        var document = await http.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        var paths = document.GetProperty("paths");
        foreach (var path in new[] { "/api/auth/login", "/api/agents/me/presence", "/api/conversations", "/api/conversations/{id}/messages", "/api/conversations/{id}/close", "/healthz" })
        {
            Assert.True(paths.TryGetProperty(path, out _), $"{path} missing from the OpenAPI document");
        }
    }
}

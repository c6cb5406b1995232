using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ChatGateway.Gateway.Tests.Infrastructure;

namespace ChatGateway.Gateway.Tests.EndToEnd;

/// <summary>A shop visitor and an agent, through the real host: widget -> routed -> agent live -> reply -> visitor live.</summary>
public sealed class WebChatEndToEndTests
{
    [Theory]
    [InlineData(RedisBackend.Garnet)]
    [InlineData(RedisBackend.Redis)]
    public async Task WidgetMessage_IsRoutedToAgentLive_AndTheReplyReachesTheVisitorLive(RedisBackend backend)
    {
        await using var host = await GatewayHost.StartAsync(backend);
        await using var alice = await host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(host);

        var sent = await visitor.SendOkAsync("这件衣服有M码吗?");
        var conversationId = sent.GetProperty("conversationId").GetGuid();

        var assigned = await alice.NextAssignedAsync();
        Assert.Equal(conversationId, assigned.Id);
        Assert.Equal("pre-sale", assigned.Skill);
        Assert.Equal("webchat", assigned.ChannelType);
        Assert.Equal("这件衣服有M码吗?", Assert.Single(assigned.Messages!).Text);

        var status = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "status");
        Assert.Equal("assigned", status.GetProperty("status").GetString());
        Assert.Equal("Alice", status.GetProperty("agentName").GetString());

        await alice.ReplyAsync(conversationId, "有的, M码有货 <b>today</b>");
        var frame = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "message");
        Assert.Equal("有的, M码有货 <b>today</b>", frame.GetProperty("message").GetProperty("text").GetString());
        Assert.Equal("Alice", frame.GetProperty("message").GetProperty("agentName").GetString());
        var delivered = await alice.NextStatusAsync(m => m.Status == "delivered");
        Assert.Equal(conversationId, delivered.ConversationId);

        // A reload: the visitor's history is still there, in order.
        var history = await visitor.Http.GetFromJsonAsync<JsonElement>("/channels/webchat/conversation");
        Assert.Equal(conversationId, history.GetProperty("conversationId").GetGuid());
        Assert.Equal(["in:这件衣服有M码吗?", "out:有的, M码有货 <b>today</b>"],
            history.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("direction").GetString()}:{m.GetProperty("text").GetString()}"));
    }

    [Fact]
    public async Task Close_FreesTheAgentsCapacity_ForTheNextWaitingConversation()
    {
        // Alice serves pre-sale with room for 3 at once.
        await using var host = await GatewayHost.StartAsync();
        var visitors = new List<Visitor>();
        for (var i = 0; i < 4; i++)
        {
            var v = await Visitor.ArriveAsync(host);
            visitors.Add(v);
            await v.SendOkAsync($"question {i}");
        }

        await using var alice = await host.SignInAsync("alice");
        var first = new[] { await alice.NextAssignedAsync(), await alice.NextAssignedAsync(), await alice.NextAssignedAsync() };
        Assert.True(await alice.NothingAssignedWithinAsync(TimeSpan.FromMilliseconds(500)), "an agent at capacity must not get a fourth conversation");
        Assert.Equal(3, (await alice.ListAsync()).Count);
        // Oldest first at equal priority.
        Assert.Equal(["question 0", "question 1", "question 2"], first.Select(c => c.Messages![0].Text));

        await alice.CloseAsync(first[0].Id);
        var fourth = await alice.NextAssignedAsync();
        Assert.Equal("question 3", fourth.Messages!.First(m => m.Direction == "in").Text);
        var closedFrame = await visitors[0].NextFrameAsync(f => f.GetProperty("type").GetString() == "status" && f.GetProperty("status").GetString() == "closed");
        Assert.Equal("closed", closedFrame.GetProperty("status").GetString());

        foreach (var v in visitors)
        {
            await v.DisposeAsync();
        }
    }

    [Fact]
    public async Task Visitor_WhoReconnects_GetsRepliesSentWhileAway_InTheHistory()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        var away = await Visitor.ArriveAsync(host, connect: false);
        var conversationId = (await away.SendOkAsync("hello?")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();

        await alice.ReplyAsync(conversationId, "Hi, sorry for the wait");
        var sent = await alice.NextStatusAsync(m => m.Status is "sent" or "delivered");
        Assert.Equal("sent", sent.Message.Status); // nobody was connected to deliver it live

        var history = await away.Http.GetFromJsonAsync<JsonElement>("/channels/webchat/conversation");
        Assert.Equal("Hi, sorry for the wait", history.GetProperty("messages")[1].GetProperty("text").GetString());
        await away.DisposeAsync();
    }

    [Fact]
    public async Task Visitor_AskingForAnotherVisitorsConversation_Gets404()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var owner = await Visitor.ArriveAsync(host, connect: false);
        await using var stranger = await Visitor.ArriveAsync(host, connect: false);
        var conversationId = (await owner.SendOkAsync("my private question")).GetProperty("conversationId").GetGuid();

        Assert.Equal(HttpStatusCode.OK, (await owner.Http.GetAsync($"/channels/webchat/conversations/{conversationId}")).StatusCode);
        var response = await stranger.Http.GetAsync($"/channels/webchat/conversations/{conversationId}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.DoesNotContain("private", await response.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.NoContent, (await stranger.Http.GetAsync("/channels/webchat/conversation")).StatusCode);
        // The agent API is not a way around it either.
        Assert.Equal(HttpStatusCode.Unauthorized, (await stranger.Http.GetAsync($"/api/conversations/{conversationId}")).StatusCode);
    }

    [Fact]
    public async Task WidgetOnTheShopsOwnSite_MayCallTheChat_OtherSitesMayNot()
    {
        await using var host = await GatewayHost.StartAsync(); // AllowedOrigins: https://shop.example.com
        using var http = host.CreateClient();

        var preflight = new HttpRequestMessage(HttpMethod.Options, "/channels/webchat/messages");
        preflight.Headers.Add("Origin", "https://shop.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "content-type, x-visitor-token");
        var allowed = await http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, allowed.StatusCode);
        Assert.Equal("https://shop.example.com", allowed.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("X-Visitor-Token", allowed.Headers.GetValues("Access-Control-Allow-Headers").Single());

        var foreign = new HttpRequestMessage(HttpMethod.Options, "/channels/webchat/messages");
        foreign.Headers.Add("Origin", "https://evil.example.net");
        foreign.Headers.Add("Access-Control-Request-Method", "POST");
        var refused = await http.SendAsync(foreign);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.False(refused.Headers.Contains("Access-Control-Allow-Origin"));

        // A real request from the shop's site is marked readable for it.
        var config = new HttpRequestMessage(HttpMethod.Get, "/channels/webchat/config");
        config.Headers.Add("Origin", "https://shop.example.com");
        Assert.Equal("https://shop.example.com", (await http.SendAsync(config)).Headers.GetValues("Access-Control-Allow-Origin").Single());

        // Another site cannot open a visitor's live connection with a stolen token.
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        using var socket = new System.Net.WebSockets.ClientWebSocket();
        socket.Options.SetRequestHeader("Origin", "https://evil.example.net");
        var uri = new UriBuilder(host.BaseAddress) { Scheme = "ws", Path = "/channels/webchat/ws", Query = "token=" + visitor.Token }.Uri;
        var ex = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() => socket.ConnectAsync(uri, CancellationToken.None));
        Assert.Contains("403", ex.Message);
    }
}

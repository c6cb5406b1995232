using System.Net;
using System.Net.WebSockets;
using System.Text;

using ChatGateway.Abstractions;

using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>Typing over the visitor's socket (held to a few a second), read receipts both ways, and their bad input.</summary>
public sealed class WebChatActivityTests
{
    [Fact]
    public async Task Typing_VisitorTypesAndStops_PassesOnTypingThenStopped()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await VisitorWhoWroteAsync(host);
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);

        await SendAsync(socket, """{"type":"typing","typing":true}""");
        await SendAsync(socket, """{"type":"typing","typing":false}""");

        var activities = await WaitForActivitiesAsync(host, 2);
        Assert.Equal([ConversationActivityKind.TypingStarted, ConversationActivityKind.TypingStopped], activities.Select(a => a.Kind));
        Assert.All(activities, a => Assert.Equal(WebChatHost.ExternalIdOf(token), a.ExternalId));
    }

    [Fact]
    public async Task Typing_FloodOfFramesAndBadFrames_DropsAllButOneTypingAndKeepsTheSocketOpen()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await VisitorWhoWroteAsync(host);
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);

        // Bad input: not JSON, another type, no boolean, a frame larger than any of ours, binary.
        await SendAsync(socket, "typing!");
        await SendAsync(socket, """{"type":"hello","typing":true}""");
        await SendAsync(socket, """{"type":"typing","typing":"yes"}""");
        await SendAsync(socket, "{\"type\":\"typing\",\"typing\":true,\"pad\":\"" + new string('x', 2000) + "\"}");
        await socket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, true, TestContext.Current.CancellationToken);
        for (var i = 0; i < 50; i++)
        {
            await SendAsync(socket, """{"type":"typing","typing":true}""");
        }

        var activity = host.Container.Services.GetRequiredService<VisitorActivity>();
        await WaitUntilAsync(() => activity.Dropped >= 49);
        var passed = host.Container.Activity.Activities;
        Assert.Single(passed);
        Assert.Equal(ConversationActivityKind.TypingStarted, passed[0].Kind);
        Assert.Equal(WebSocketState.Open, socket.State);
    }

    [Fact]
    public async Task Typing_VisitorClosesTheChatWhileTyping_PassesOnStopped()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await VisitorWhoWroteAsync(host);
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);
        await SendAsync(socket, """{"type":"typing","typing":true}""");
        await WaitForActivitiesAsync(host, 1);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, TestContext.Current.CancellationToken);

        var activities = await WaitForActivitiesAsync(host, 2);
        Assert.Equal(ConversationActivityKind.TypingStopped, activities[1].Kind);
    }

    [Fact]
    public async Task Read_VisitorsOwnConversation_Returns204AndPassesOnTheRead()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await VisitorWhoWroteAsync(host);
        var conversationId = Guid.NewGuid();
        host.Container.Activity.Conversations[conversationId] = WebChatHost.ExternalIdOf(token);

        using var response = await PostReadAsync(host, token, conversationId.ToString());

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var read = Assert.Single(host.Container.Activity.Activities);
        Assert.Equal(ConversationActivityKind.Read, read.Kind);
        Assert.Equal(conversationId, read.ConversationId);
    }

    [Fact]
    public async Task Read_UnknownOrSomeoneElsesConversationOrNoToken_RefusedAndNothingPassedOn()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await VisitorWhoWroteAsync(host);
        var other = await VisitorWhoWroteAsync(host);
        var othersConversation = Guid.NewGuid();
        host.Container.Activity.Conversations[othersConversation] = WebChatHost.ExternalIdOf(other);

        using var unknown = await PostReadAsync(host, token, Guid.NewGuid().ToString());
        await Task.Delay(VisitorActivity.ReadInterval, TestContext.Current.CancellationToken);
        using var notAnId = await PostReadAsync(host, token, "not-a-guid");
        await Task.Delay(VisitorActivity.ReadInterval, TestContext.Current.CancellationToken);
        using var someoneElses = await PostReadAsync(host, token, othersConversation.ToString());
        using var noToken = await PostReadAsync(host, null, othersConversation.ToString());

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, notAnId.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, someoneElses.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, noToken.StatusCode);
        Assert.Contains("no such conversation", await unknown.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Empty(host.Container.Activity.Activities);
    }

    [Fact]
    public async Task Read_TwiceWithinASecond_SecondGets429WithRetryAfter()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await VisitorWhoWroteAsync(host);
        var conversationId = Guid.NewGuid();
        host.Container.Activity.Conversations[conversationId] = WebChatHost.ExternalIdOf(token);

        using var first = await PostReadAsync(host, token, conversationId.ToString());
        using var second = await PostReadAsync(host, token, conversationId.ToString());

        Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        Assert.True(second.Headers.RetryAfter is not null);
        Assert.Single(host.Container.Activity.Activities);
    }

    [Fact]
    public async Task AgentActivity_VisitorConnected_PushesTypingAndReadFrames()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);
        var observer = host.Container.Services.GetRequiredService<IConversationActivityObserver>();
        var conversationId = Guid.NewGuid();
        var recipient = new ChannelRecipient { ExternalId = WebChatHost.ExternalIdOf(token) };
        var readUpTo = new DateTimeOffset(2026, 12, 7, 9, 30, 0, TimeSpan.Zero);

        await observer.OnAgentActivityAsync(new AgentActivity(conversationId, recipient, ConversationActivityKind.TypingStarted), TestContext.Current.CancellationToken);
        await observer.OnAgentActivityAsync(new AgentActivity(conversationId, recipient, ConversationActivityKind.Read) { ReadUpTo = readUpTo }, TestContext.Current.CancellationToken);
        await observer.OnAgentActivityAsync(
            new AgentActivity(conversationId, new ChannelRecipient { ExternalId = "v_nobody-is-connected" }, ConversationActivityKind.TypingStopped), TestContext.Current.CancellationToken);

        using var typing = await WebChatHost.ReceiveJsonAsync(socket);
        Assert.Equal("typing", typing.RootElement.GetProperty("type").GetString());
        Assert.True(typing.RootElement.GetProperty("typing").GetBoolean());
        Assert.Equal(conversationId, typing.RootElement.GetProperty("conversationId").GetGuid());
        using var read = await WebChatHost.ReceiveJsonAsync(socket);
        Assert.Equal("read", read.RootElement.GetProperty("type").GetString());
        Assert.Equal(readUpTo, read.RootElement.GetProperty("readUpTo").GetDateTimeOffset());
    }

    [Fact]
    public async Task History_AgentHasRead_CarriesTheReadMark()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await VisitorWhoWroteAsync(host);
        var readUpTo = new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero);
        var externalId = WebChatHost.ExternalIdOf(token);
        var conversationId = Guid.NewGuid();
        host.History.Add(externalId, new ConversationHistory(conversationId, "assigned", []) { ReadByAgentUpTo = readUpTo });

        using var response = await host.GetAsVisitorAsync(token, "conversation");

        response.EnsureSuccessStatusCode();
        using var body = await WebChatHost.ReadJsonAsync(response);
        Assert.Equal(readUpTo, body.RootElement.GetProperty("readByAgentUpTo").GetDateTimeOffset());
    }

    private static async Task<string> VisitorWhoWroteAsync(WebChatHost host)
    {
        var token = await host.NewVisitorAsync();
        using var response = await host.PostMessageAsync(token, new { clientMessageId = Guid.NewGuid().ToString(), text = "hello" });
        response.EnsureSuccessStatusCode();
        return token;
    }

    private static Task<HttpResponseMessage> PostReadAsync(WebChatHost host, string? token, string conversationId)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, WebChatHost.PathOf($"conversations/{conversationId}/read"));
        if (token is not null)
        {
            request.Headers.Add(VisitorTokens.Header, token);
        }

        return host.Client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    private static Task SendAsync(ClientWebSocket socket, string text) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);

    private static async Task<IReadOnlyList<CustomerActivity>> WaitForActivitiesAsync(WebChatHost host, int count)
    {
        await WaitUntilAsync(() => host.Container.Activity.Activities.Count >= count);
        return host.Container.Activity.Activities;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(20, timeout.Token);
        }
    }
}

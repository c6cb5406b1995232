using System.Net;
using System.Net.WebSockets;
using System.Text;

using ChatGateway.Abstractions;

using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>Replies and status changes pushed over the visitor's WebSocket, through the registered sender and observer.</summary>
public sealed class WebChatLiveConnectionTests
{
    private const string Markup = "Here you go: <b>x</b><script>alert('hi')</script> & \"more\"";

    [Fact]
    public async Task Send_VisitorConnected_PushesTheExactTextAndReportsDelivered()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);
        var reply = Reply(token, Markup);

        var result = await host.Sender.SendAsync(reply, TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        using var frame = await WebChatHost.ReceiveJsonAsync(socket);
        Assert.Equal("message", frame.RootElement.GetProperty("type").GetString());
        var message = frame.RootElement.GetProperty("message");
        Assert.Equal(Markup, message.GetProperty("text").GetString());
        Assert.Equal(reply.MessageId, message.GetProperty("messageId").GetGuid());
        Assert.Equal("out", message.GetProperty("direction").GetString());
        Assert.Equal("Grace", message.GetProperty("agentName").GetString());
    }

    [Fact]
    public async Task Send_VisitorWithTwoTabs_PushesToBoth()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();
        var firstTab = await host.ConnectAsync(token);
        var secondTab = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(2);

        var result = await host.Sender.SendAsync(Reply(token, "in both tabs"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.Delivered, result.Outcome);
        foreach (var tab in new[] { firstTab, secondTab })
        {
            using var frame = await WebChatHost.ReceiveJsonAsync(tab);
            Assert.Equal("in both tabs", frame.RootElement.GetProperty("message").GetProperty("text").GetString());
        }
    }

    [Fact]
    public async Task Send_NoSocketConnected_ReportsSent()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();

        var result = await host.Sender.SendAsync(Reply(token, "you were away"), TestContext.Current.CancellationToken);

        // Not delivered live: the visitor reads it from the history when they come back.
        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
    }

    [Fact]
    public async Task Send_AnotherVisitorConnected_NeverReachesThem()
    {
        await using var host = await WebChatHost.StartAsync();
        var visitor = await host.NewVisitorAsync();
        var other = await host.NewVisitorAsync();
        var othersSocket = await host.ConnectAsync(other);
        await host.WaitForConnectionsAsync(1);

        var result = await host.Sender.SendAsync(Reply(visitor, "private to the first visitor"), TestContext.Current.CancellationToken);
        await host.Sender.SendAsync(Reply(other, "for the other visitor"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
        using var frame = await WebChatHost.ReceiveJsonAsync(othersSocket);
        Assert.Equal("for the other visitor", frame.RootElement.GetProperty("message").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Send_AfterTheVisitorClosedTheSocket_ReportsSent()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "tab closed", TestContext.Current.CancellationToken);
        await host.WaitForConnectionsAsync(0);
        var result = await host.Sender.SendAsync(Reply(token, "too late"), TestContext.Current.CancellationToken);

        Assert.Equal(DeliveryOutcome.Sent, result.Outcome);
    }

    [Fact]
    public async Task Connect_MoreThanMaxConnectionsPerVisitor_ClosesTheExtraWithPolicyViolation()
    {
        await using var host = await WebChatHost.StartAsync(settings => settings["MaxConnectionsPerVisitor"] = "2");
        var token = await host.NewVisitorAsync();
        await host.ConnectAsync(token);
        await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(2);

        var extra = await host.ConnectAsync(token);
        var result = await WebChatHost.ReceiveAsync(extra, new StringBuilder());

        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(WebSocketCloseStatus.PolicyViolation, result.CloseStatus);
        await host.WaitForConnectionsAsync(2);
    }

    [Fact]
    public async Task Connect_NoToken_Returns401()
    {
        await using var host = await WebChatHost.StartAsync();

        var exception = await Assert.ThrowsAsync<WebSocketException>(() => host.ConnectAsync(null));

        Assert.Equal(WebSocketError.NotAWebSocket, exception.WebSocketErrorCode);
        Assert.Contains(((int)HttpStatusCode.Unauthorized).ToString(System.Globalization.CultureInfo.InvariantCulture), exception.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StatusChange_VisitorConnected_PushesAStatusFrame()
    {
        await using var host = await WebChatHost.StartAsync();
        var token = await host.NewVisitorAsync();
        var socket = await host.ConnectAsync(token);
        await host.WaitForConnectionsAsync(1);
        var observer = host.Container.Services.GetRequiredService<IConversationStatusObserver>();
        var conversationId = Guid.NewGuid();

        await observer.OnStatusChangedAsync(
            new ConversationStatusChange(conversationId, new ChannelRecipient { ExternalId = WebChatHost.ExternalIdOf(token) }, "assigned", "Grace"),
            TestContext.Current.CancellationToken);

        using var frame = await WebChatHost.ReceiveJsonAsync(socket);
        Assert.Equal("status", frame.RootElement.GetProperty("type").GetString());
        Assert.Equal("assigned", frame.RootElement.GetProperty("status").GetString());
        Assert.Equal("Grace", frame.RootElement.GetProperty("agentName").GetString());
        Assert.Equal(conversationId, frame.RootElement.GetProperty("conversationId").GetGuid());
    }

    [Fact]
    public async Task StatusChange_VisitorNotConnected_DoesNotThrow()
    {
        await using var host = await WebChatHost.StartAsync();
        var observer = host.Container.Services.GetRequiredService<IConversationStatusObserver>();

        await observer.OnStatusChangedAsync(
            new ConversationStatusChange(Guid.NewGuid(), new ChannelRecipient { ExternalId = "v_nobody-is-connected" }, "closed", null),
            TestContext.Current.CancellationToken);
    }

    private static OutboundMessage Reply(string visitorToken, string text) => new()
    {
        MessageId = Guid.NewGuid(),
        ConversationId = Guid.NewGuid(),
        Recipient = new ChannelRecipient { ExternalId = WebChatHost.ExternalIdOf(visitorToken) },
        Text = text,
        AgentName = "Grace",
        CreatedAt = DateTimeOffset.UnixEpoch,
    };
}

using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Threading.Channels;
using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Tests.Security;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatGateway.Gateway.Tests.Live;

/// <summary>
/// Typing both ways, read marks both ways, and the list's unread counts and previews, through the real gateway: a web chat
/// visitor's socket and REST calls on one side, an agent's API and live connection on the other.
/// </summary>
public sealed class LiveActivityTests
{
    private const string Typing = """{"type":"typing","typing":true}""";
    private const string Stopped = """{"type":"typing","typing":false}""";

    [Fact]
    public async Task Typing_BothWays_ReachesTheOtherSideAndIsNeverAMessage()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        var typing = Listen<Guid, bool>(bob, "customerTyping");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();

        await visitor.SendFrameAsync(Typing);
        Assert.Equal((conversation.Id, true), await ReadAsync(typing));
        await visitor.SendFrameAsync(Stopped);
        Assert.Equal((conversation.Id, false), await ReadAsync(typing));

        var on = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/typing", new { typing = true });
        Assert.Equal(HttpStatusCode.NoContent, on.StatusCode);
        var frame = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "typing");
        Assert.True(frame.GetProperty("typing").GetBoolean());
        Assert.Equal(conversation.Id, frame.GetProperty("conversationId").GetGuid());
        await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/typing", new { typing = false });
        frame = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "typing");
        Assert.False(frame.GetProperty("typing").GetBoolean());

        // Nothing of it was stored: the conversation holds the one message.
        var detail = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation.Id}"))!;
        Assert.Single(detail.Messages!);
    }

    [Fact]
    public async Task Typing_AnotherAgentsConversation_Returns403_UnknownReturns404_NoBodyReturns400_AndTheCustomerHearsNothing()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();
        using var carol = await SecurityClient.SignInAsync(host, "carol");
        using var alice = await SecurityClient.SignInAsync(host, "alice");

        var spoofed = await carol.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/typing", new { typing = true });
        var bySupervisor = await alice.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/typing", new { typing = true });
        var unknown = await bob.Http.PostAsJsonAsync($"/api/conversations/{Guid.NewGuid()}/typing", new { typing = true });
        var noFlag = await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/typing", new { });
        var notJson = await bob.Http.PostAsync($"/api/conversations/{conversation.Id}/typing", new StringContent("typing"));

        Assert.Equal(HttpStatusCode.Forbidden, spoofed.StatusCode);
        Assert.Contains("assigned", (await spoofed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, bySupervisor.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noFlag.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, notJson.StatusCode);
        await Assert.ThrowsAsync<TimeoutException>(() => visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "typing", TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task Read_UnknownConversation_Returns404_AnotherAgentsReturns403_AndTheMarkDoesNotMove()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();
        using var carol = await SecurityClient.SignInAsync(host, "carol");

        var unknown = await bob.Http.PostAsync($"/api/conversations/{Guid.NewGuid()}/read", null);
        var notHers = await carol.Http.PostAsync($"/api/conversations/{conversation.Id}/read", null);

        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("no such conversation", (await unknown.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        Assert.Equal(HttpStatusCode.Forbidden, notHers.StatusCode);
        var listed = Assert.Single(await bob.ListAsync());
        Assert.Null(listed.AgentReadAt);
        Assert.Equal(1, listed.UnreadCount);
        await Assert.ThrowsAsync<TimeoutException>(() => visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "read", TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public async Task UnreadCountAndPreview_CountTheCustomersMessagesAfterTheAgentsReadMark()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();
        await visitor.SendOkAsync("It came broken");
        var longText = "The box was crushed and the " + new string('x', 100) + " inside is cracked";
        await visitor.SendOkAsync("  " + longText.Replace(" ", "\n  ", StringComparison.Ordinal));
        await bob.ReplyAsync(conversation.Id, "Sorry to hear that, let me check");

        var before = Assert.Single(await bob.ListAsync());
        Assert.Equal(3, before.UnreadCount);
        Assert.Equal(longText[..80] + "…", before.LastCustomerMessage);

        var read = await bob.Http.PostAsync($"/api/conversations/{conversation.Id}/read", null);
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        var mark = (await read.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("readAt").GetDateTimeOffset();
        var told = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "read");
        Assert.Equal(mark, told.GetProperty("readUpTo").GetDateTimeOffset());
        var history = await visitor.Http.GetFromJsonAsync<JsonElement>("/channels/webchat/conversation");
        Assert.Equal(mark, history.GetProperty("readByAgentUpTo").GetDateTimeOffset());

        var after = Assert.Single(await bob.ListAsync());
        Assert.Equal(0, after.UnreadCount);
        Assert.Equal(mark, after.AgentReadAt);
        Assert.Equal(longText[..80] + "…", after.LastCustomerMessage);

        await Task.Delay(20);
        await visitor.SendOkAsync("Hello?");
        var again = Assert.Single(await bob.ListAsync());
        Assert.Equal(1, again.UnreadCount);
        Assert.Equal("Hello?", again.LastCustomerMessage);
    }

    [Fact]
    public async Task CustomerRead_WidgetReportsIt_AgentHearsItAndTheConversationKeepsIt_OthersConversationIs404()
    {
        await using var host = await GatewayHost.StartAsync();
        await using var bob = await host.SignInAsync("bob");
        var reads = Listen<Guid, DateTimeOffset>(bob, "customerRead");
        await using var visitor = await Visitor.ArriveAsync(host);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();
        await using var stranger = await Visitor.ArriveAsync(host);
        await stranger.SendOkAsync("I want to complain about something else");

        var notTheirs = await stranger.Http.PostAsync($"/channels/webchat/conversations/{conversation.Id}/read", null);
        var ok = await visitor.Http.PostAsync($"/channels/webchat/conversations/{conversation.Id}/read", null);

        Assert.Equal(HttpStatusCode.NotFound, notTheirs.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, ok.StatusCode);
        var (id, at) = await ReadAsync(reads);
        Assert.Equal(conversation.Id, id);
        var detail = (await bob.Http.GetFromJsonAsync<ConversationDto>($"/api/conversations/{conversation.Id}"))!;
        Assert.Equal(at, detail.CustomerReadAt);
    }

    [Fact]
    public async Task Typing_VisitorOnOneInstance_AgentOnTheOther_BothWays()
    {
        await using var two = await TwoInstances.StartAsync();
        await using var bob = await two.A.SignInAsync("bob");
        var typing = Listen<Guid, bool>(bob, "customerTyping");
        await using var visitor = await Visitor.ArriveAsync(two.B);
        await visitor.SendOkAsync("I want to complain about my order");
        var conversation = await bob.NextAssignedAsync();

        await visitor.SendFrameAsync(Typing);
        Assert.Equal((conversation.Id, true), await ReadAsync(typing));
        await bob.Http.PostAsJsonAsync($"/api/conversations/{conversation.Id}/typing", new { typing = true });
        var frame = await visitor.NextFrameAsync(f => f.GetProperty("type").GetString() == "typing");
        Assert.True(frame.GetProperty("typing").GetBoolean());
    }

    private static Channel<(T1, T2)> Listen<T1, T2>(AgentSession agent, string method)
    {
        var channel = Channel.CreateUnbounded<(T1, T2)>();
        agent.Hub.On<T1, T2>(method, (a, b) => channel.Writer.TryWrite((a, b)));
        return channel;
    }

    private static async Task<T> ReadAsync<T>(Channel<T> channel)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        return await channel.Reader.ReadAsync(timeout.Token);
    }
}

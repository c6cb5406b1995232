using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>
/// Per client address limits: a flood from one address gets 429 with Retry-After, while a customer on
/// another address (here 127.0.0.2; all of 127/8 is loopback on Linux) is served as before.
/// </summary>
public sealed class WebChatFloodLimitTests
{
    [Fact]
    public async Task PostVisitors_OverTheLimitFromOneAddress_Returns429WithRetryAfter_OtherAddressesUnaffected()
    {
        await using var host = await WebChatHost.StartAsync(s => s["Limits:VisitorsPerMinute"] = "3");
        using var flood = From(host, "127.0.0.3");
        using var customer = From(host, "127.0.0.2");

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.OK, (await flood.PostAsync(WebChatHost.PathOf("visitors"), null, TestContext.Current.CancellationToken)).StatusCode);
        }

        using var refused = await flood.PostAsync(WebChatHost.PathOf("visitors"), null, TestContext.Current.CancellationToken);
        using var served = await customer.PostAsync(WebChatHost.PathOf("visitors"), null, TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.InRange(refused.Headers.RetryAfter!.Delta!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(1));
        using var body = await WebChatHost.ReadJsonAsync(refused);
        Assert.Contains("too many new visitors", body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
    }

    [Fact]
    public async Task PostMessage_OverTheMessageLimit_Returns429AndStoresNothingMore_OtherAddressesUnaffected()
    {
        await using var host = await WebChatHost.StartAsync(s => s["Limits:MessagesPerMinute"] = "5");
        using var flood = From(host, "127.0.0.3");
        using var customer = From(host, "127.0.0.2");
        var floodToken = await host.NewVisitorAsync();
        var customerToken = await host.NewVisitorAsync();

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await Send(flood, floodToken, $"m{i}")).StatusCode);
        }

        using var refused = await Send(flood, floodToken, "m5");
        using var served = await Send(customer, customerToken, "c0");

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.Accepted, served.StatusCode);
        Assert.Equal(6, host.Inbound.Accepted.Count);
    }

    [Fact]
    public async Task FirstMessages_OverTheNewConversationLimit_Return429_ButKnownVisitorsKeepTalking()
    {
        await using var host = await WebChatHost.StartAsync(s => s["Limits:NewConversationsPerMinute"] = "2");
        using var flood = From(host, "127.0.0.3");
        var tokens = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            tokens.Add(await host.NewVisitorAsync());
        }

        Assert.Equal(HttpStatusCode.Accepted, (await Send(flood, tokens[0], "a")).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await Send(flood, tokens[1], "b")).StatusCode);
        using var third = await Send(flood, tokens[2], "c");
        using var secondMessage = await Send(flood, tokens[0], "a2");

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.NotNull(third.Headers.RetryAfter?.Delta);
        Assert.Equal(HttpStatusCode.Accepted, secondMessage.StatusCode);
    }

    // Bad inputs tried: a negative limit for each setting; 0 (off) is fine.
    [Theory]
    [InlineData("Limits:VisitorsPerMinute")]
    [InlineData("Limits:NewConversationsPerMinute")]
    [InlineData("Limits:MessagesPerMinute")]
    public void Settings_NegativeLimit_FailsStartNamingTheKey(string key)
    {
        var container = ChatGateway.Testing.Conformance.ChannelInstanceContainer.Build(new WebChatChannelPlugin(), "webchat", [new(key, "-1")]);

        Assert.Contains(container.StartupFailures(), f => f.Contains(key, StringComparison.Ordinal));
    }

    private static Task<HttpResponseMessage> Send(HttpClient client, string token, string id)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, WebChatHost.PathOf("messages")) { Content = JsonContent.Create(new { clientMessageId = id, text = "hello " + id }) };
        request.Headers.Add(VisitorTokens.Header, token);
        return client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    /// <summary>A client whose connections come from <paramref name="localAddress"/>.</summary>
    private static HttpClient From(WebChatHost host, string localAddress) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(localAddress), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = host.BaseAddress };
}

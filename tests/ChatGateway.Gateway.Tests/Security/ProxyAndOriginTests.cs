using System.Net;
using System.Net.Http.Json;
using ChatGateway.Gateway.Tests.Infrastructure;
using ChatGateway.Gateway.Web;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatGateway.Gateway.Tests.Security;

/// <summary>
/// Behind a reverse proxy the cookie is Secure and limits count the real client, but only when the proxy is a
/// known one; a browser on another site cannot act with an agent's cookie. Bad inputs tried: X-Forwarded-Proto
/// and X-Forwarded-For from an address that is not a configured proxy, an evil Origin on a POST/PUT and on the
/// hub, Sec-Fetch-Site: cross-site, an allowed origin from Desk:AllowedOrigins, no Origin at all (curl).
/// </summary>
public sealed class ProxyAndOriginTests
{
    private static async Task<string> SignInSetCookieAsync(GatewayHost host, string? forwardedProto)
    {
        using var http = new HttpClient(new SocketsHttpHandler { UseCookies = false }) { BaseAddress = host.BaseAddress };
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { userName = "bob", password = GatewayHost.DemoPassword }) };
        if (forwardedProto is not null)
        {
            request.Headers.Add("X-Forwarded-Proto", forwardedProto);
        }

        var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return Assert.Single(response.Headers.GetValues("Set-Cookie"), c => c.StartsWith("cg.agent=", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SignIn_HttpsForwardedByAKnownProxy_SetsASecureCookie()
    {
        // The test client connects from loopback, the default known proxy.
        await using var host = await GatewayHost.StartAsync();
        Assert.Contains("secure", await SignInSetCookieAsync(host, "https"), StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("secure", await SignInSetCookieAsync(host, null), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignIn_HttpsForwardedByAnUnknownAddress_IsIgnored()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = "10.9.8.7" });
        Assert.DoesNotContain("secure", await SignInSetCookieAsync(host, "https"), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task SignInLimit_BehindAKnownProxy_CountsEachRealClient()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Auth:SignInsPerAddressPerMinute"] = "2",
            ["ForwardedHeaders:KnownNetworks:0"] = "127.0.0.0/8",
        });
        using var http = host.CreateClient();

        Task<HttpResponseMessage> FromAsync(string client, string name)
        {
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { userName = name, password = "guess" }) };
            request.Headers.Add("X-Forwarded-For", client);
            return http.SendAsync(request);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await FromAsync("203.0.113.1", "a")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await FromAsync("203.0.113.1", "b")).StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await FromAsync("203.0.113.1", "c")).StatusCode);
        // Another customer behind the same proxy is not punished for the first one's guesses.
        Assert.Equal(HttpStatusCode.Unauthorized, (await FromAsync("203.0.113.2", "d")).StatusCode);
    }

    [Fact]
    public async Task SignInLimit_ForwardedForFromAnUnknownAddress_IsNotBelieved()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?>
        {
            ["Auth:SignInsPerAddressPerMinute"] = "2",
            ["ForwardedHeaders:KnownProxies:0"] = "10.9.8.7",
        });
        using var http = host.CreateClient();
        for (var i = 0; i < 3; i++)
        {
            // A guesser who makes up a new X-Forwarded-For each time still counts as one address.
            var request = new HttpRequestMessage(HttpMethod.Post, "/api/auth/login") { Content = JsonContent.Create(new { userName = "n" + i, password = "guess" }) };
            request.Headers.Add("X-Forwarded-For", $"203.0.113.{i + 1}");
            var response = await http.SendAsync(request);
            Assert.Equal(i < 2 ? HttpStatusCode.Unauthorized : HttpStatusCode.TooManyRequests, response.StatusCode);
        }
    }

    [Fact]
    public async Task CookieCall_FromAnotherSite_Is403AndChangesNothing()
    {
        await using var host = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["Desk:AllowedOrigins:0"] = "https://desk.example.com" });
        await using var bob = await host.SignInAsync("bob", online: false);

        async Task<HttpResponseMessage> SetPresenceAsync(string presence, string? origin = null, string? fetchSite = null)
        {
            var request = new HttpRequestMessage(HttpMethod.Put, "/api/agents/me/presence") { Content = JsonContent.Create(new { presence }) };
            if (origin is not null)
            {
                request.Headers.Add("Origin", origin);
            }

            if (fetchSite is not null)
            {
                request.Headers.Add("Sec-Fetch-Site", fetchSite);
            }

            return await bob.Http.SendAsync(request);
        }

        var evil = await SetPresenceAsync("online", origin: "https://evil.example");
        Assert.Equal(HttpStatusCode.Forbidden, evil.StatusCode);
        Assert.Contains("cross-origin request refused", (await evil.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
        var crossSite = await SetPresenceAsync("online", fetchSite: "cross-site");
        Assert.Equal(HttpStatusCode.Forbidden, crossSite.StatusCode);
        Assert.Contains("Sec-Fetch-Site", (await crossSite.Content.ReadFromJsonAsync<ErrorDto>())!.Error);
        var evilLogout = await bob.Http.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/api/auth/logout") { Headers = { { "Origin", "https://evil.example" } } });
        Assert.Equal(HttpStatusCode.Forbidden, evilLogout.StatusCode);
        Assert.Equal("offline", (await bob.Http.GetFromJsonAsync<AgentDto>("/api/agents/me"))!.Presence);

        // The desk's own page, a configured desk origin and a client without Origin all work.
        var own = host.BaseAddress.GetLeftPart(UriPartial.Authority);
        Assert.Equal(HttpStatusCode.OK, (await SetPresenceAsync("away", origin: own, fetchSite: "same-origin")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SetPresenceAsync("busy", origin: "https://desk.example.com")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SetPresenceAsync("online")).StatusCode);
    }

    [Fact]
    public async Task Hub_FromAnotherSite_IsRefused()
    {
        await using var host = await GatewayHost.StartAsync();
        using var bob = await SecurityClient.SignInAsync(host, "bob");
        var hub = new HubConnectionBuilder()
            .WithUrl(new Uri(host.BaseAddress, "/hubs/agent"), o =>
            {
                o.Cookies = bob.Cookies;
                o.Headers["Origin"] = "https://evil.example";
            })
            .Build();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => hub.StartAsync());
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
    }
}

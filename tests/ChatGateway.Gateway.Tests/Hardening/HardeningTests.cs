using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Store;
using ChatGateway.Gateway.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Hardening;

/// <summary>
/// Input that looks like something but is nothing, repeated fields, the embedded Garnet's password, and the
/// security headers each kind of answer carries.
/// </summary>
public sealed class HardeningTests
{
    /// <summary>Texts with nothing visible: zero-width space, joiners, direction marks, BOM, word joiner, soft hyphen, Hangul filler, Braille blank, variation selector, tag characters, ideographic space, control characters.</summary>
    public static TheoryData<string> InvisibleTexts => new()
    {
        "\u200B", "\u200B\u200C\u200D", "\u200E\u200F\u202A\u202E\u2066\u2069", "\uFEFF", "\u2060\u00AD", "\u3164\u115F", "\u2800",
        "\uFE0F", "\U000E0041\U000E007F", "\u3000 \t\r\n", "\u0001\u0007\u001B", " \u200B \u2060 ",
    };

    [Theory]
    [MemberData(nameof(InvisibleTexts))]
    public async Task WidgetMessage_NothingVisible_Answers400AndStoresNothing(string text)
    {
        await using var host = await GatewayHost.StartAsync();
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);

        var response = await visitor.SendAsync(text);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Matches("required|empty", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString());
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync());
        Assert.Equal(0, await db.Conversations.CountAsync());
    }

    [Theory]
    [InlineData("\u200B好")]
    [InlineData("👍")]
    [InlineData("\u200Bok\u200B")]
    [InlineData("\U0001FAE8")] // an emoji newer than some Unicode tables
    public async Task WidgetMessage_VisibleAmongInvisible_IsStored(string text)
    {
        await using var host = await GatewayHost.StartAsync();
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);

        var response = await visitor.SendAsync(text);

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(InvisibleTexts))]
    public async Task AgentReply_NothingVisible_Answers400AndSendsNothing(string text)
    {
        await using var host = await GatewayHost.StartAsync();
        await using var alice = await host.SignInAsync("alice");
        await using var visitor = await Visitor.ArriveAsync(host, connect: false);
        var conversationId = (await visitor.SendOkAsync("hello")).GetProperty("conversationId").GetGuid();
        await alice.NextAssignedAsync();

        var response = await alice.Http.PostAsJsonAsync($"/api/conversations/{conversationId}/messages", new { text });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await using var db = host.CreateDbContext();
        Assert.Equal(0, await db.Messages.CountAsync(m => m.Direction == MessageDirection.Out && m.AgentId != null));
    }

    [Fact]
    public async Task Login_DuplicateJsonProperty_Answers400()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();

        // Which userName counts? Neither: an ambiguous body is refused.
        var response = await http.PostAsync("/api/auth/login", new StringContent("""{"userName":"bob","userName":"alice","password":"demo-password"}""", Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.False(string.IsNullOrWhiteSpace((await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("error").GetString()));
    }

    [Fact]
    public async Task EmbeddedGarnet_WithoutThePassword_RefusesCommands()
    {
        await using var host = await GatewayHost.StartAsync(RedisBackend.Garnet);
        var redis = host.Services.GetRequiredService<RedisConnection>();
        await (await redis.GetDatabaseAsync()).PingAsync(); // the gateway itself gets in
        var endPoint = redis.EmbeddedEndPoint;
        Assert.NotNull(endPoint);

        using var client = new TcpClient();
        await client.ConnectAsync(endPoint);
        var stream = client.GetStream();
        await stream.WriteAsync("*3\r\n$3\r\nSET\r\n$6\r\nstolen\r\n$1\r\n1\r\n"u8.ToArray());
        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer);
        var answer = Encoding.ASCII.GetString(buffer, 0, read);

        Assert.StartsWith("-NOAUTH", answer);
        Assert.False(await (await redis.GetDatabaseAsync()).KeyExistsAsync("stolen"));
    }

    [Fact]
    public async Task Hsts_OnlyWhenTheRequestCameOverHttps_ThroughAKnownProxy()
    {
        // The test client is on loopback, the default known proxy: its X-Forwarded-Proto is believed.
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();

        using var viaProxy = new HttpRequestMessage(HttpMethod.Get, "/desk/");
        viaProxy.Headers.Add("X-Forwarded-Proto", "https");
        using var secure = await http.SendAsync(viaProxy);
        Assert.StartsWith("max-age=", secure.Headers.GetValues("Strict-Transport-Security").Single());

        using var plain = await http.GetAsync("/desk/");
        Assert.False(plain.Headers.Contains("Strict-Transport-Security"));

        // From an address that is not a configured proxy, the header is a lie and changes nothing.
        await using var other = await GatewayHost.StartAsync(settings: new Dictionary<string, string?> { ["ForwardedHeaders:KnownProxies:0"] = "10.9.8.7" });
        using var otherHttp = other.CreateClient();
        using var lying = new HttpRequestMessage(HttpMethod.Get, "/desk/");
        lying.Headers.Add("X-Forwarded-Proto", "https");
        Assert.False((await otherHttp.SendAsync(lying)).Headers.Contains("Strict-Transport-Security"));
    }

    [Fact]
    public async Task Answers_CarryTheSecurityHeadersOfTheirKind()
    {
        await using var host = await GatewayHost.StartAsync();
        using var http = host.CreateClient();

        using var api = await http.GetAsync("/api/agents/me");
        Assert.Equal("nosniff", api.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Equal("DENY", api.Headers.GetValues("X-Frame-Options").Single());
        Assert.Contains("frame-ancestors 'none'", api.Headers.GetValues("Content-Security-Policy").Single());
        Assert.Contains("no-store", api.Headers.CacheControl!.ToString());

        using var desk = await http.GetAsync("/desk/");
        var deskPolicy = desk.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Contains("script-src 'self';", deskPolicy);
        Assert.Contains("frame-ancestors 'none'", deskPolicy);
        Assert.Equal("no-referrer", desk.Headers.GetValues("Referrer-Policy").Single());

        using var shop = await http.GetAsync("/");
        var shopPolicy = shop.Headers.GetValues("Content-Security-Policy").Single();
        Assert.Matches("script-src 'self'( 'sha256-[A-Za-z0-9+/=]+')+;", shopPolicy);
        Assert.DoesNotContain("unsafe-inline'; img", shopPolicy.Split("script-src")[1].Split(';')[0] + "; img");

        // The widget is embedded by shop pages on other sites: its endpoints are not refused in frames.
        using var widget = await http.GetAsync("/channels/webchat/widget.js");
        Assert.False(widget.Headers.Contains("X-Frame-Options"));
        Assert.Equal("nosniff", widget.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.False(api.Headers.Contains("Strict-Transport-Security")); // plain HTTP: no HSTS
    }
}

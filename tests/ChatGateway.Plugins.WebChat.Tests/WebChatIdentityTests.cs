using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Plugins.WebChat.Tests;

/// <summary>Shop-verified visitors (POST visitors/identify) and the refusal of tokens the gateway did not issue.</summary>
public sealed class WebChatIdentityTests
{
    private const string Secret = "shop-server-secret-0123456789abcdef";
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-06T09:00:00Z");

    private static Task<WebChatHost> StartAsync(FakeTimeProvider clock, string? secret = Secret) =>
        WebChatHost.StartAsync(s => s["IdentitySecret"] = secret, clock);

    private static object Identity(string userId = "user-42", string? phone = "+14155550123", string? email = "ada@example.com", string? name = "Ada", long? expires = null, string secret = Secret)
    {
        var exp = expires ?? Now.AddMinutes(10).ToUnixTimeSeconds();
        return new { userId, phone, email, name, expires = exp, signature = ShopIdentity.Sign(secret, userId, phone, email, name, exp) };
    }

    private static async Task<(HttpStatusCode Status, string? Token, string? Error)> IdentifyAsync(WebChatHost host, object body)
    {
        using var response = await host.Client.PostAsJsonAsync(WebChatHost.PathOf("visitors/identify"), body, TestContext.Current.CancellationToken);
        using var json = await WebChatHost.ReadJsonAsync(response);
        return (response.StatusCode,
            json.RootElement.TryGetProperty("visitorToken", out var t) ? t.GetString() : null,
            json.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null);
    }

    [Fact]
    public async Task Identify_SignedByTheShop_MessagesCarryTheVerifiedPhoneEmailAndName()
    {
        await using var host = await StartAsync(new FakeTimeProvider(Now));

        var (status, token, _) = await IdentifyAsync(host, Identity());
        Assert.Equal(HttpStatusCode.OK, status);
        using var sent = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "where is my order?", phone = "+8613800138000" });

        Assert.Equal(HttpStatusCode.Accepted, sent.StatusCode);
        var sender = Assert.Single(host.Inbound.Accepted).Sender;
        Assert.Equal(("+14155550123", "ada@example.com", "Ada"), (sender.Phone, sender.Email, sender.DisplayName));
        Assert.StartsWith("u_", sender.ExternalId, StringComparison.Ordinal);
        // What they typed beside it stays declared: it proves nothing.
        Assert.Equal("+8613800138000", sender.DeclaredPhone);
    }

    [Fact]
    public async Task Identify_SameUserOnTwoBrowsers_IsOneVisitor()
    {
        await using var host = await StartAsync(new FakeTimeProvider(Now));

        var first = await IdentifyAsync(host, Identity());
        var second = await IdentifyAsync(host, Identity(expires: Now.AddMinutes(20).ToUnixTimeSeconds()));
        await host.PostMessageAsync(first.Token, new { clientMessageId = "c1", text = "from the laptop" });
        await host.PostMessageAsync(second.Token, new { clientMessageId = "c2", text = "from the phone" });

        Assert.Equal(2, host.Inbound.Accepted.Count);
        Assert.Single(host.Inbound.Accepted.Select(m => m.Sender.ExternalId).Distinct());
    }

    // Bad inputs tried: a signature with another secret, one over other fields (the phone changed after
    // signing), a non-hex and a short signature, no signature.
    [Theory]
    [InlineData("other-secret")]
    [InlineData("phone-changed")]
    [InlineData("not-hex")]
    [InlineData("short")]
    [InlineData("missing")]
    public async Task Identify_BadSignature_Returns401WithReason_AndIssuesNothing(string kind)
    {
        await using var host = await StartAsync(new FakeTimeProvider(Now));
        var exp = Now.AddMinutes(10).ToUnixTimeSeconds();
        var good = ShopIdentity.Sign(Secret, "user-42", "+14155550123", null, null, exp);
        object body = kind switch
        {
            "other-secret" => Identity(secret: "an-attacker-guessed-this-secret-000"),
            "phone-changed" => new { userId = "user-42", phone = "+8613800138000", expires = exp, signature = good },
            "not-hex" => new { userId = "user-42", phone = "+14155550123", expires = exp, signature = new string('z', 64) },
            "short" => new { userId = "user-42", phone = "+14155550123", expires = exp, signature = good[..32] },
            _ => new { userId = "user-42", phone = "+14155550123", expires = exp },
        };

        var (status, token, error) = await IdentifyAsync(host, body);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Null(token);
        Assert.Contains("signature", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identify_Expired_Returns401IdentityExpired()
    {
        await using var host = await StartAsync(new FakeTimeProvider(Now));

        var (status, token, error) = await IdentifyAsync(host, Identity(expires: Now.AddSeconds(-1).ToUnixTimeSeconds()));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Null(token);
        Assert.Equal("identity expired", error);
    }

    [Fact]
    public async Task Identify_ExpiringYearsAhead_Returns401()
    {
        await using var host = await StartAsync(new FakeTimeProvider(Now));

        var (status, _, error) = await IdentifyAsync(host, Identity(expires: Now.AddYears(5).ToUnixTimeSeconds()));

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Contains("too far ahead", error, StringComparison.Ordinal);
    }

    // Bad inputs tried: no userId, a line break inside a field (it would shift the signed fields), no expires.
    [Theory]
    [InlineData("""{ "phone": "+14155550123", "expires": 1800000000, "signature": "00" }""", "userId is required")]
    [InlineData("""{ "userId": "u1\nphone", "expires": 1800000000, "signature": "00" }""", "line breaks")]
    [InlineData("""{ "userId": "u1", "signature": "00" }""", "expires is required")]
    public async Task Identify_Malformed_Returns400WithReason(string json, string reason)
    {
        await using var host = await StartAsync(new FakeTimeProvider(Now));

        using var response = await host.Client.PostAsync(WebChatHost.PathOf("visitors/identify"),
            new StringContent(json, System.Text.Encoding.UTF8, "application/json"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = await WebChatHost.ReadJsonAsync(response);
        Assert.Contains(reason, body.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Identify_NoSecretConfigured_Returns404SayingSo()
    {
        await using var host = await StartAsync(new FakeTimeProvider(Now), secret: null);

        var (status, token, error) = await IdentifyAsync(host, Identity());

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Null(token);
        Assert.Contains("IdentitySecret", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task IdentifiedToken_AfterItsLifetime_Returns401SoTheWidgetIdentifiesAgain()
    {
        var clock = new FakeTimeProvider(Now);
        await using var host = await StartAsync(clock);
        var (_, token, _) = await IdentifyAsync(host, Identity());

        clock.Advance(TimeSpan.FromDays(1));
        using var response = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "still me?" });

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Empty(host.Inbound.Accepted);
    }

    // Bad inputs tried: a random token of the old kind (the widget may still hold one), a made-up token
    // in the new shape, on every endpoint that takes a token.
    [Theory]
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghijABC")]
    [InlineData("a.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task MadeUpToken_OnEveryEndpoint_Returns401_AndCreatesNoVisitor(string token)
    {
        await using var host = await WebChatHost.StartAsync();

        using var message = await host.PostMessageAsync(token, new { clientMessageId = "c1", text = "hello" });
        using var latest = await host.GetAsVisitorAsync(token, "conversation");
        using var one = await host.GetAsVisitorAsync(token, $"conversations/{Guid.NewGuid()}");
        var socket = await Assert.ThrowsAsync<WebSocketException>(() => host.ConnectAsync(token));

        Assert.Equal(HttpStatusCode.Unauthorized, message.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, latest.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, one.StatusCode);
        Assert.Contains("401", socket.Message, StringComparison.Ordinal);
        Assert.Empty(host.Inbound.Accepted);
    }
}

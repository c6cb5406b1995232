using ChatGateway.Testing.Conformance;
using Microsoft.Extensions.Time.Testing;

namespace ChatGateway.Plugins.WebChat.Tests;

public sealed class VisitorTokensTests
{
    private static readonly FakeTimeProvider Clock = new(DateTimeOffset.Parse("2026-12-06T09:00:00Z"));

    private static VisitorTokens Tokens(string instanceId = "webchat", string secret = "test-master-secret", TimeProvider? clock = null) =>
        new(new FixedChannelKeys(instanceId, secret), clock ?? Clock);

    [Fact]
    public void CreateAnonymous_ReadBack_NamesTheSameVisitorEveryTime()
    {
        var tokens = Tokens();
        var token = tokens.CreateAnonymous();

        Assert.Matches("^a\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{43}$", token);
        Assert.True(tokens.TryRead(token, out var first));
        Assert.True(tokens.TryRead(token, out var again));
        Assert.Equal(first, again);
        Assert.StartsWith("v_", first.ExternalId, StringComparison.Ordinal);
        Assert.False(first.IsVerified);
        Assert.Null(first.Phone);
        // The id alone (what the store keeps) is not a usable token: the signature is not in it.
        Assert.DoesNotContain(token.Split('.')[2], first.ExternalId, StringComparison.Ordinal);
    }

    [Fact]
    public void CreateAnonymous_1000Times_GivesAllDistinctVisitors()
    {
        var tokens = Tokens();
        var ids = Enumerable.Range(0, 1000).Select(_ => tokens.TryRead(tokens.CreateAnonymous(), out var v) ? v.ExternalId : "").ToList();

        Assert.Equal(1000, ids.Distinct(StringComparer.Ordinal).Count());
    }

    // Bad inputs tried: an old random token (256 bits, before tokens were signed), made-up tokens in the new
    // shapes (anonymous, and identified as 'admin'), an empty one, an unknown kind.
    [Theory]
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghijABC")]
    [InlineData("a.AAAAAAAAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("u.eyJzdWIiOiJhZG1pbiIsImV4cCI6OTk5OTk5OTk5OX0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("")]
    [InlineData("a.")]
    [InlineData("x.abc.def")]
    public void TryRead_MadeUpToken_IsRefused(string token)
    {
        Assert.False(Tokens().TryRead(token, out _));
    }

    // Bad inputs tried: a real token with its visitor id changed, its signature changed, cut or ending in a
    // base64 (not base64url) character, its kind changed, a non-ASCII character appended, a huge token, null.
    [Fact]
    public void TryRead_TamperedToken_IsRefused()
    {
        var tokens = Tokens();
        var token = tokens.CreateAnonymous();
        var parts = token.Split('.');
        var otherId = parts[1][..^1] + (parts[1][^1] == 'A' ? 'B' : 'A');
        var otherMac = (parts[2][0] == 'A' ? 'B' : 'A') + parts[2][1..];

        Assert.False(tokens.TryRead($"a.{otherId}.{parts[2]}", out _));
        Assert.False(tokens.TryRead($"a.{parts[1]}.{otherMac}", out _));
        Assert.False(tokens.TryRead($"a.{parts[1]}.{parts[2][..^2]}", out _));
        Assert.False(tokens.TryRead($"a.{parts[1]}.{parts[2][..^1]}+", out _)); // base64, not base64url
        Assert.False(tokens.TryRead($"u.{parts[1]}.{parts[2]}", out _));
        Assert.False(tokens.TryRead(token + "é", out _));
        Assert.False(tokens.TryRead(new string('a', 5000), out _));
        Assert.False(tokens.TryRead(null, out _));
    }

    [Fact]
    public void TryRead_TokenOfAnotherInstanceOrGatewaySecret_IsRefused()
    {
        var token = Tokens().CreateAnonymous();

        Assert.False(Tokens(instanceId: "other-webchat").TryRead(token, out _));
        Assert.False(Tokens(secret: "another-gateway").TryRead(token, out _));
        Assert.True(Tokens().TryRead(token, out _)); // another process of the same gateway: same key
    }

    [Fact]
    public void CreateIdentified_SameUserTwice_IsOneVerifiedVisitor()
    {
        var tokens = Tokens();
        var expires = Clock.GetUtcNow().AddHours(1);

        Assert.True(tokens.TryRead(tokens.CreateIdentified("user-42", "+14155550123", "ada@example.com", "Ada", expires), out var first));
        Assert.True(tokens.TryRead(tokens.CreateIdentified("user-42", "+14155550123", "ada@example.com", "Ada", expires), out var second));

        Assert.Equal(first.ExternalId, second.ExternalId);
        Assert.True(first.IsVerified);
        Assert.Equal(("+14155550123", "ada@example.com", "Ada"), (first.Phone, first.Email, first.Name));
        Assert.DoesNotContain("user-42", first.ExternalId, StringComparison.Ordinal);
    }

    [Fact]
    public void TryRead_IdentifiedTokenWithChangedClaims_IsRefused()
    {
        var tokens = Tokens();
        var token = tokens.CreateIdentified("user-42", "+14155550123", null, null, Clock.GetUtcNow().AddHours(1));
        var parts = token.Split('.');
        var claims = System.Text.Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
        var changed = System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.UTF8.GetBytes(claims.Replace("user-42", "user-43")));

        Assert.False(tokens.TryRead($"u.{changed}.{parts[2]}", out _));
    }

    [Fact]
    public void TryRead_IdentifiedTokenPastItsExpiry_IsRefused()
    {
        var clock = new FakeTimeProvider(Clock.GetUtcNow());
        var tokens = Tokens(clock: clock);
        var token = tokens.CreateIdentified("user-42", null, null, null, clock.GetUtcNow().AddHours(1));

        clock.Advance(TimeSpan.FromMinutes(59));
        Assert.True(tokens.TryRead(token, out _));
        clock.Advance(TimeSpan.FromMinutes(1));
        Assert.False(tokens.TryRead(token, out _));
    }
}

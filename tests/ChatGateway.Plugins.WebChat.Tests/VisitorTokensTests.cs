namespace ChatGateway.Plugins.WebChat.Tests;

public sealed class VisitorTokensTests
{
    [Fact]
    public void Create_Always_Returns43Base64UrlCharacters()
    {
        var token = VisitorTokens.Create();

        // 256 random bits in base64url without padding.
        Assert.Matches("^[A-Za-z0-9_-]{43}$", token);
        Assert.True(VisitorTokens.IsWellFormed(token));
    }

    [Fact]
    public void Create_1000Times_GivesAllDistinctTokens()
    {
        var tokens = Enumerable.Range(0, 1000).Select(_ => VisitorTokens.Create()).ToList();

        Assert.Equal(1000, tokens.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void ExternalId_AnyToken_IsAStableHashThatNeverContainsTheToken()
    {
        var token = VisitorTokens.Create();
        var other = VisitorTokens.Create();

        var id = VisitorTokens.ExternalId(token);

        Assert.Matches("^v_[0-9a-f]{40}$", id);
        Assert.DoesNotContain(token, id, StringComparison.Ordinal);
        Assert.DoesNotContain(token[..8], id, StringComparison.Ordinal);
        Assert.Equal(id, VisitorTokens.ExternalId(token));
        Assert.NotEqual(id, VisitorTokens.ExternalId(other));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghijAB")]     // 42 characters
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghijABCD")]   // 44 characters
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghij+BC")]    // base64, not base64url
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghij/BC")]
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghijAB=")]    // padding
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghij BC")]
    [InlineData("abcdefghijABCDEFGHIJ0123456789abcdefghijéBC")]
    public void IsWellFormed_MalformedToken_IsRejected(string token)
    {
        Assert.False(VisitorTokens.IsWellFormed(token));
    }

    [Fact]
    public void IsWellFormed_NoToken_IsRejected()
    {
        Assert.False(VisitorTokens.IsWellFormed(null));
    }
}

using ChatGateway.Gateway.Conversations;
using ChatGateway.Gateway.Plugins;
using Microsoft.Extensions.DependencyInjection;

namespace ChatGateway.Gateway.Tests.Rich;

/// <summary>Reply tokens name a conversation and nothing else. Bad inputs tried: a changed letter, upper case, too short, not base32, empty.</summary>
public sealed class ReplyTokenTests
{
    [Fact]
    public async Task ATokenNamesItsConversation_SurvivesUpperCase_AndAnyChangeNamesNothing()
    {
        await using var host = await Infrastructure.GatewayHost.StartAsync();
        var tokens = new ReplyTokens(host.Services.GetRequiredService<GatewayKeyRing>());
        var conversation = Guid.NewGuid();
        var token = tokens.For(conversation);

        Assert.Matches("^[a-z2-7]{42}$", token);
        Assert.Equal(conversation, tokens.Read(token));
        Assert.Equal(conversation, tokens.Read(token.ToUpperInvariant()));
        Assert.NotEqual(token, tokens.For(Guid.NewGuid()));
        for (var i = 0; i < token.Length; i++)
        {
            var changed = token[..i] + (token[i] == 'a' ? 'b' : 'a') + token[(i + 1)..];
            Assert.Null(tokens.Read(changed));
        }

        foreach (var bad in new[] { "", token[..41], token + "a", token[..40] + "!!", "0000000000000000000000000000000000000000000" })
        {
            Assert.Null(tokens.Read(bad));
        }
    }
}

using System.Text;
using System.Text.RegularExpressions;

using ChatGateway.Abstractions;
using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>
/// The WeChat plugin against what the gateway expects of every channel plugin. WeChat signs in the query string
/// (<see cref="WebhookSamples.SignQuery"/>); the samples use safe mode, where <c>msg_signature</c> covers the body's Encrypt
/// element, so the kit's facts about a changed or corrupted body apply too. Plaintext mode, whose <c>signature</c> covers only
/// the Token, timestamp and nonce, is checked in <see cref="WeChatWebhookTests"/>.
/// </summary>
public sealed partial class WeChatConformanceTests() : ChannelPluginConformanceTests(
    new WeChatChannelPlugin(),
    WeChatTestInstance.ValidSettings(),
    ["AppId", "AppSecret", "Token"])
{
    private const string Timestamp = "1409304348";

    private const string Nonce = "xxxxxx";

    protected override bool SendsIdempotencyKey => false;

    protected override ChannelRecipient SendRecipient => new() { ExternalId = WeChatTestInstance.OpenId };

    protected override WebhookSamples Webhook { get; } = new()
    {
        Path = "webhook",
        ContentType = "text/xml",
        SingleMessage = WeChatTestInstance.Encrypted(WeChatTestInstance.LoadPayload("text.xml")).Body,
        SignQuery = (_, body) => SafeModeQuery(body),
        MaxBodyBytes = 4096,
        Settings = new Dictionary<string, string?> { ["MaxBodyBytes"] = "4096" },
    };

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await FakeWeChatServer.StartAsync(WeChatTestInstance.AppId, WeChatTestInstance.AppSecret, TestContext.Current.CancellationToken);

    /// <summary>The query WeChat adds to a safe-mode POST: <c>signature</c>, and <c>msg_signature</c> over the body's Encrypt element.</summary>
    private static string SafeModeQuery(byte[] body)
    {
        var encrypted = EncryptElement().Match(Encoding.UTF8.GetString(body)) is { Success: true } match ? match.Groups[1].Value : "";
        return $"{WeChatTestInstance.SignedQuery(WeChatTestInstance.Token, Timestamp, Nonce)}&encrypt_type=aes"
            + $"&msg_signature={FakeWeChatServer.Sign(WeChatTestInstance.Token, Timestamp, Nonce, encrypted)}";
    }

    [GeneratedRegex(@"<Encrypt><!\[CDATA\[(.*?)\]\]></Encrypt>", RegexOptions.Singleline)]
    private static partial Regex EncryptElement();
}

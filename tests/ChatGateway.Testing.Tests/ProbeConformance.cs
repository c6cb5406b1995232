using System.Text;

using ChatGateway.Testing.Conformance;

namespace ChatGateway.Testing.Tests;

/// <summary>
/// The kit run against a <see cref="ProbePlugin"/>: not a test class itself (internal, so xunit does not collect it);
/// <see cref="ConformanceKitTests"/> calls its facts one by one and checks which fail.
/// </summary>
/// <param name="signsInQuery">True: the probe and its samples sign in the query string (<see cref="WebhookSamples.SignQuery"/>), as WeChat does.</param>
internal sealed class ProbeConformance(ProbeFlaws flaws, bool signsInQuery = false) : ChannelPluginConformanceTests(
    new ProbePlugin(flaws),
    new Dictionary<string, string?> { ["Secret"] = "probe-secret", ["ApiBaseAddress"] = "http://127.0.0.1:9/" },
    [])
{
    private const string Secret = "probe-webhook-secret";

    private static readonly WebhookSamples HeaderSigned = new()
    {
        Path = "events",
        ContentType = "application/json",
        SingleMessage = Encoding.UTF8.GetBytes("""{"messages":[{"id":"p-1","from":"c-1","text":"Where is my order?"}]}"""),
        Batch = Encoding.UTF8.GetBytes("""{"messages":[{"id":"p-2","from":"c-1","text":"one"},{"id":"p-3","from":"c-2","text":"two"},{"id":"p-4","from":"c-3","text":"three"}]}"""),
        BatchMessages = 3,
        Sign = (_, body) => new Dictionary<string, string> { [ProbePlugin.SignatureHeader] = ProbePlugin.Sign(Secret, body) },
        MaxBodyBytes = 2048,
        Settings = new Dictionary<string, string?> { ["Secret"] = Secret, ["MaxBodyBytes"] = "2048" },
    };

    private static readonly WebhookSamples QuerySigned = new()
    {
        Path = HeaderSigned.Path,
        ContentType = HeaderSigned.ContentType,
        SingleMessage = HeaderSigned.SingleMessage,
        Batch = HeaderSigned.Batch,
        BatchMessages = HeaderSigned.BatchMessages,
        SignQuery = (_, body) => $"{ProbePlugin.SignatureQueryParameter}={ProbePlugin.Sign(Secret, body)}&timestamp=1409304348",
        MaxBodyBytes = HeaderSigned.MaxBodyBytes,
        Settings = new Dictionary<string, string?> { ["Secret"] = Secret, ["MaxBodyBytes"] = "2048", ["SignatureIn"] = "query" },
    };

    protected override WebhookSamples Webhook { get; } = signsInQuery ? QuerySigned : HeaderSigned;

    protected override async Task<IFakeProviderApi?> StartFakeProviderAsync() =>
        await ProbeProviderServer.StartAsync(TestContext.Current.CancellationToken);
}

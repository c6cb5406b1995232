using System.Text;

using ChatGateway.Testing;

namespace ChatGateway.Plugins.Line.Tests;

/// <summary>Settings an instance starts with in the tests, and LINE's payloads as it sends them.</summary>
internal static class LineTestInstance
{
    public const string ChannelSecret = "test-channel-secret-6b1f";
    public const string ChannelAccessToken = "test-channel-access-token-93d0";

    /// <summary>A closed local port (discard): an instance with it reaches nothing.</summary>
    private static readonly Uri Nowhere = new("http://127.0.0.1:9/");

    /// <summary>Settings that start an instance; its API and data host are the fake when one is given, else a closed local port.</summary>
    public static Dictionary<string, string?> ValidSettings(FakeLineServer? line = null) => new()
    {
        ["ChannelSecret"] = ChannelSecret,
        ["ChannelAccessToken"] = ChannelAccessToken,
        ["ApiBaseAddress"] = (line?.BaseAddress ?? Nowhere).ToString(),
        ["DataApiBaseAddress"] = (line?.BaseAddress ?? Nowhere).ToString(),
    };

    /// <summary>A webhook body from Payloads/, byte for byte.</summary>
    public static byte[] LoadPayload(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", name));

    /// <summary>The headers LINE sends with a body.</summary>
    public static IReadOnlyDictionary<string, string> Sign(byte[] body, string secret = ChannelSecret) =>
        new Dictionary<string, string> { ["x-line-signature"] = FakeLineServer.Sign(secret, body) };

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>A webhook body of these events (JSON objects), as LINE wraps them.</summary>
    public static byte[] Body(params string[] events) =>
        Utf8($$"""{"destination":"U8e742f61d673b39c7fff3cecb7536ef0","events":[{{string.Join(",", events)}}]}""");

    /// <summary>A message event: <paramref name="message"/> is its message object, <paramref name="source"/> its source object.</summary>
    public static string MessageEvent(string message, string source, DateTimeOffset at, string? replyToken = "38ef843bde154d9b91c21320ffd7a6ed", string mode = "active") =>
        $$"""{"type":"message","message":{{message}},"webhookEventId":"01H810YECXQQZ37VAXPF6H9{{Random.Shared.Next(100000, 999999)}}","deliveryContext":{"isRedelivery":false},"timestamp":{{at.ToUnixTimeMilliseconds()}},"source":{{source}}{{(replyToken is null ? "" : $",\"replyToken\":\"{replyToken}\"")}},"mode":"{{mode}}"}""";

    public static string User(string userId) => $$"""{"type":"user","userId":"{{userId}}"}""";

    public static string Group(string groupId, string? userId) =>
        userId is null ? $$"""{"type":"group","groupId":"{{groupId}}"}""" : $$"""{"type":"group","groupId":"{{groupId}}","userId":"{{userId}}"}""";

    public static string Room(string roomId, string userId) => $$"""{"type":"room","roomId":"{{roomId}}","userId":"{{userId}}"}""";

    public static string Text(string id, string text) => $$"""{"type":"text","id":"{{id}}","quoteToken":"q-{{id}}","text":"{{text}}"}""";
}

using System.Text;

using ChatGateway.Testing;
using ChatGateway.Testing.Conformance;

namespace ChatGateway.Plugins.WeChat.Tests;

/// <summary>Settings an instance starts with in the tests, WeChat's payloads, and how WeChat signs and encrypts them.</summary>
internal static class WeChatTestInstance
{
    public const string AppId = "wx5823bf96d3bd56c7";
    public const string AppSecret = "test-app-secret-6b1f";
    public const string Token = "test-token-93d0";
    public const string EncodingAESKey = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    public const string OpenId = "oDF3iY9ffA-hqb2vVvbr7qxf6A0Q";

    /// <summary>Settings that start an instance; its API is a fake when one is given, else a closed local port.</summary>
    public static Dictionary<string, string?> ValidSettings(Uri? api = null) => new()
    {
        ["AppId"] = AppId,
        ["AppSecret"] = AppSecret,
        ["Token"] = Token,
        ["EncodingAESKey"] = EncodingAESKey,
        ["ApiBaseAddress"] = (api ?? new Uri("http://127.0.0.1:9/")).ToString(),
    };

    public static Dictionary<string, string?> With(this Dictionary<string, string?> settings, IReadOnlyDictionary<string, string?> overlay)
    {
        foreach (var (key, value) in overlay)
        {
            settings[key] = value;
        }

        return settings;
    }

    /// <summary>A webhook body from Payloads/, byte for byte.</summary>
    public static byte[] LoadPayload(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", name));

    /// <summary>The query string WeChat adds to a plaintext-mode POST (or the GET verification).</summary>
    public static string SignedQuery(string token = Token, string timestamp = "1409304348", string nonce = "xxxxxx") =>
        $"signature={FakeWeChatServer.Sign(token, timestamp, nonce)}&timestamp={timestamp}&nonce={nonce}";

    /// <summary>A safe-mode body for <paramref name="xml"/> and its query string, as WeChat sends them.</summary>
    public static (byte[] Body, string Query) Encrypted(byte[] xml, string appId = AppId, string key = EncodingAESKey, string timestamp = "1409304348", string nonce = "xxxxxx")
    {
        // WeChat's side, written apart from the plugin's: the plugin must read what this writes.
        var encrypted = FakeWeChatServer.Encrypt(key, appId, xml);
        var body = Utf8($"<xml><ToUserName><![CDATA[gh_3c884a361561]]></ToUserName><Encrypt><![CDATA[{encrypted}]]></Encrypt></xml>");
        var query = $"{SignedQuery(Token, timestamp, nonce)}&encrypt_type=aes&msg_signature={FakeWeChatServer.Sign(Token, timestamp, nonce, encrypted)}";
        return (body, query);
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

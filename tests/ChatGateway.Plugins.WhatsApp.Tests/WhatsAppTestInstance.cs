using System.Text;

using ChatGateway.Plugins.WhatsApp.Webhooks;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>Settings an instance starts with in the tests, and the provider's payloads as it sends them.</summary>
internal static class WhatsAppTestInstance
{
    public const string ChannelSecret = "test-channel-secret-6b1f";
    public const string AccessToken = "test-access-token-93d0";

    /// <summary>Settings that start an instance; its API is a fake when one is given, else a closed local port.</summary>
    public static Dictionary<string, string?> ValidSettings(Uri? api = null) => new()
    {
        ["ChannelSecret"] = ChannelSecret,
        ["AccessToken"] = AccessToken,
        ["ApiBaseAddress"] = (api ?? new Uri("http://127.0.0.1:9/")).ToString(),
    };

    /// <summary>A webhook body from Payloads/, byte for byte.</summary>
    public static byte[] LoadPayload(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", name));

    /// <summary>The headers WhatsApp sends with a body.</summary>
    public static IReadOnlyDictionary<string, string> Sign(byte[] body, string secret = ChannelSecret) =>
        new Dictionary<string, string> { [WhatsAppSignature.HeaderName] = WhatsAppSignature.Compute(secret, body) };

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

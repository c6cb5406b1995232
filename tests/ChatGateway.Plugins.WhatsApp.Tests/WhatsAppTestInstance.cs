using System.Text;

using ChatGateway.Testing;

namespace ChatGateway.Plugins.WhatsApp.Tests;

/// <summary>Settings an instance starts with in the tests, and Meta's payloads as it sends them.</summary>
internal static class WhatsAppTestInstance
{
    public const string AppSecret = "test-app-secret-6b1f";
    public const string VerifyToken = "test-verify-token-2c7a";
    public const string AccessToken = "test-access-token-93d0";

    /// <summary>The business number's id the payloads carry.</summary>
    public const string PhoneNumberId = "106540352242922";

    /// <summary>Settings that start an instance; its API is a fake when one is given, else a closed local port.</summary>
    public static Dictionary<string, string?> ValidSettings(Uri? api = null) => new()
    {
        ["AppSecret"] = AppSecret,
        ["VerifyToken"] = VerifyToken,
        ["AccessToken"] = AccessToken,
        ["PhoneNumberId"] = PhoneNumberId,
        ["ApiBaseAddress"] = (api ?? new Uri("http://127.0.0.1:9/")).ToString(),
    };

    public static Task<FakeWhatsAppServer> StartFakeAsync() =>
        FakeWhatsAppServer.StartAsync(AccessToken, PhoneNumberId, TestContext.Current.CancellationToken);

    /// <summary>A webhook body from Payloads/, byte for byte.</summary>
    public static byte[] LoadPayload(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", name));

    /// <summary>The headers Meta sends with a body.</summary>
    public static IReadOnlyDictionary<string, string> Sign(byte[] body, string secret = AppSecret) =>
        new Dictionary<string, string> { ["X-Hub-Signature-256"] = FakeWhatsAppServer.Sign(secret, body) };

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}

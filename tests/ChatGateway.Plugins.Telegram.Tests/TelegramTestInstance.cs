using System.Text;

using ChatGateway.Plugins.Telegram.Webhooks;
using ChatGateway.Testing;

namespace ChatGateway.Plugins.Telegram.Tests;

/// <summary>Settings an instance starts with in the tests, and Telegram's updates as it sends them.</summary>
internal static class TelegramTestInstance
{
    public const string SecretToken = "test-secret-token_6b1f";
    public const string BotToken = "7000000001:AAtest-bot-token_93d0";
    public const string Customer = "5012345678";

    /// <summary>A closed local port (discard): an instance with it reaches nothing.</summary>
    private static readonly Uri Nowhere = new("http://127.0.0.1:9/");

    /// <summary>Settings that start an instance; its API is the fake when one is given, else a closed local port.</summary>
    public static Dictionary<string, string?> ValidSettings(FakeTelegramServer? telegram = null) => new()
    {
        ["BotToken"] = BotToken,
        ["SecretToken"] = SecretToken,
        ["ApiBaseAddress"] = (telegram?.BaseAddress ?? Nowhere).ToString(),
    };

    /// <summary>A webhook body from Payloads/, byte for byte.</summary>
    public static byte[] LoadPayload(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Payloads", name));

    /// <summary>The header Telegram sends with every update (the same whatever the body: it proves the sender, not the body).</summary>
    public static IReadOnlyDictionary<string, string> Sign(string secret = SecretToken) =>
        new Dictionary<string, string> { [TelegramWebhookEndpoints.SecretHeader] = secret };

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public static string From(string id = Customer, string first = "Anna", string? last = "Schmidt", string? language = "de") =>
        $$"""{"id":{{id}},"is_bot":false,"first_name":"{{first}}"{{(last is null ? "" : $",\"last_name\":\"{last}\"")}}{{(language is null ? "" : $",\"language_code\":\"{language}\"")}}}""";

    public static string PrivateChat(string id = Customer) => $$"""{"id":{{id}},"first_name":"Anna","type":"private"}""";

    public static string GroupChat(string id, string title) => $$"""{"id":{{id}},"title":"{{title}}","type":"supergroup"}""";

    /// <summary>An update carrying a message with these fields (<c>"text":"…"</c>, <c>"photo":[…]</c>, …).</summary>
    public static byte[] Update(string fields, long messageId = 4512, string? from = null, string? chat = null, string kind = "message", long updateId = 872635001) =>
        Utf8($$"""{"update_id":{{updateId}},"{{kind}}":{"message_id":{{messageId}},"from":{{from ?? From()}},"chat":{{chat ?? PrivateChat()}},"date":1765000000,{{fields}}""" + "}}");
}

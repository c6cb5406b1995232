namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// The language the gateway's own messages (auto-replies, survey thanks, follow-ups) take for a customer: Chinese for a
/// customer who wrote Chinese, English for one who wrote anything else, the shop's <c>FollowUps:DefaultLanguage</c>
/// while nothing they wrote told. Texts are settings by language, <c>{ "zh": "…", "en": "…" }</c>: one language each,
/// never both in one message.
/// </summary>
internal static class CustomerLanguage
{
    public static string Of(string? detected, string shopDefault) =>
        string.IsNullOrEmpty(detected) ? shopDefault : detected.StartsWith("zh", StringComparison.OrdinalIgnoreCase) ? "zh" : "en";

    /// <summary>
    /// The text in <paramref name="language"/>: the shop's by language, else its single text of older settings (used
    /// for every language; empty turns the message off), else the built-in one.
    /// </summary>
    public static string Pick(IReadOnlyDictionary<string, string> texts, string? single, string language, string builtInZh, string builtInEn) =>
        texts.TryGetValue(language, out var text) ? text : single ?? (language == "zh" ? builtInZh : builtInEn);

    /// <summary>Configuration errors of a setting by language: only <c>zh</c> and <c>en</c>, named by their full key.</summary>
    public static IEnumerable<string> Errors(string key, IReadOnlyDictionary<string, string> texts) =>
        texts.Keys.Where(l => l is not ("zh" or "en")).Select(l => $"{key}:{l}: the language must be zh or en.");
}

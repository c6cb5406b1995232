namespace ChatGateway.Gateway.Routing;

/// <summary>
/// Tells a customer's language from the script they write in: Chinese, Japanese (any kana), Korean,
/// Russian, Arabic and Thai by their letters; Latin letters count as the shop's configured Latin-script
/// language, unless the platform reports the customer's language (Telegram's <c>language_code</c>), which then wins.
/// Good enough to route to an agent who reads the script; not a language identifier.
/// </summary>
internal static class LanguageDetector
{
    public static string? Detect(string text, string latinLanguage, string? reported = null)
    {
        int han = 0, kana = 0, hangul = 0, cyrillic = 0, arabic = 0, thai = 0, latin = 0;
        foreach (var c in text)
        {
            switch (c)
            {
                case >= '\u4E00' and <= '\u9FFF' or >= '\u3400' and <= '\u4DBF': han++; break;
                case >= '\u3040' and <= '\u30FF': kana++; break;
                case >= '\uAC00' and <= '\uD7AF' or >= '\u1100' and <= '\u11FF' or >= '\u3130' and <= '\u318F': hangul++; break;
                case >= '\u0400' and <= '\u04FF': cyrillic++; break;
                case >= '\u0600' and <= '\u06FF': arabic++; break;
                case >= '\u0E00' and <= '\u0E7F': thai++; break;
                default:
                    if (char.IsAsciiLetter(c) || (c is >= '\u00C0' and <= '\u024F' && char.IsLetter(c)))
                    {
                        latin++;
                    }

                    break;
            }
        }

        if (kana > 0)
        {
            return "ja"; // Japanese mixes kanji with kana; Chinese has no kana.
        }

        // A Chinese sentence with a product code in it ("有M码吗") is Chinese: CJK characters carry a word each.
        (string Language, int Weight)[] scores =
        [
            ("zh", han * 3), ("ko", hangul * 3), ("ru", cyrillic), ("ar", arabic), ("th", thai), (latinLanguage.ToLowerInvariant(), latin),
        ];
        var best = scores.MaxBy(s => s.Weight);
        if ((best.Weight == 0 || latin >= best.Weight) && Normalize(reported) is { } declared)
        {
            // Latin letters (or none: a photo) do not tell English from Spanish; the platform's word for the customer does.
            return declared;
        }

        return best.Weight == 0 ? null : best.Language;
    }

    /// <summary>
    /// A reported tag's language in lower case, as the script detection and agents' attributes name it (<c>pt-BR</c> →
    /// <c>pt</c>, <c>zh_CN</c> and <c>zh-hans</c> → <c>zh</c>); null when it is not a language code.
    /// </summary>
    public static string? Normalize(string? tag)
    {
        var code = tag?.Trim().Replace('_', '-').ToLowerInvariant();
        return IsLanguageCode(code) ? code!.Split('-')[0] : null;
    }

    /// <summary>Whether a rule's language (<c>pt</c>) covers a conversation's (<c>pt</c> or <c>pt-br</c>).</summary>
    public static bool Covers(string ruleLanguage, string? language) =>
        language is not null && (language.Equals(ruleLanguage, StringComparison.OrdinalIgnoreCase)
            || (language.Length > ruleLanguage.Length && language[ruleLanguage.Length] == '-' && language.StartsWith(ruleLanguage, StringComparison.OrdinalIgnoreCase)));

    /// <summary>A two- or three-letter code, optionally with a region (<c>zh</c>, <c>en</c>, <c>pt-br</c>).</summary>
    public static bool IsLanguageCode(string? code) =>
        code is { Length: >= 2 and <= 8 } && code.Split('-') is [var lang, ..] && lang.Length is 2 or 3
        && code.All(c => char.IsAsciiLetter(c) || c == '-');
}

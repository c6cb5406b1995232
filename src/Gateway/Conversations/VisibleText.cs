using System.Globalization;
using System.Text;

namespace ChatGateway.Gateway.Conversations;

/// <summary>
/// Whether a text shows anything to a reader. Text made only of white space, control characters and invisible
/// characters (zero-width spaces and joiners, direction marks and overrides, byte-order marks, word joiners,
/// soft hyphens, variation selectors, tag characters, Hangul and Braille blanks) is refused like empty text:
/// it would reach an agent or a customer as an empty bubble.
/// </summary>
internal static class VisibleText
{
    public static bool IsBlank([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return true;
        }

        // Usually the first character already shows: one check.
        foreach (var rune in text.EnumerateRunes())
        {
            if (!IsInvisible(rune))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>
    /// The text on one line (control characters as spaces, trimmed), cut to <paramref name="max"/> characters with an
    /// ellipsis; null when it shows nothing. For names, subjects and summaries a channel gives.
    /// </summary>
    public static string? OneLine(string? text, int max)
    {
        if (IsBlank(text))
        {
            return null;
        }

        var flat = new string(text.Select(c => char.IsControl(c) ? ' ' : c).ToArray()).Trim();
        return flat.Length <= max ? flat : flat[..(max - 1)] + "…";
    }

    private static bool IsInvisible(Rune rune)
    {
        if (Rune.IsWhiteSpace(rune) || Rune.IsControl(rune))
        {
            return true;
        }

        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.Format: // ZWSP, ZWJ, ZWNJ, LRM/RLM, bidi embeddings and isolates, BOM, word joiner, soft hyphen, tags
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
            case UnicodeCategory.SpaceSeparator:
                return true;
        }

        var value = rune.Value;
        return value is 0x034F // combining grapheme joiner
            or 0x115F or 0x1160 or 0x3164 or 0xFFA0 // Hangul fillers
            or 0x2800 // Braille blank
            or (>= 0xFE00 and <= 0xFE0F) or (>= 0xE0100 and <= 0xE01EF) // variation selectors
            or 0x180B or 0x180C or 0x180D or 0x180F; // Mongolian free variation selectors
    }
}

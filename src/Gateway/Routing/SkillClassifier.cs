using System.Text.RegularExpressions;

namespace ChatGateway.Gateway.Routing;

internal sealed record Classification(string Skill, int Priority, string Reason, string? Language);

/// <summary>
/// Picks a conversation's skill from keyword rules (Chinese keywords match anywhere, English ones as
/// whole words, case-insensitively), the channel and the customer's language, its priority from the
/// customer's tier, and its tags from the tag rules.
/// </summary>
internal sealed class SkillClassifier
{
    private readonly RoutingOptions _options;
    private readonly List<(KeywordRule Rule, Regex? Pattern)> _rules;
    private readonly List<(string Tag, Regex Pattern)> _tags;
    private readonly Dictionary<Store.OrderStage, string> _orderSkills;

    public SkillClassifier(RoutingOptions options)
    {
        _options = options;
        _rules = _options.Rules.Select(r => (r, r.Keywords.Count == 0 ? null : BuildPattern(r.Keywords))).ToList();
        _tags = _options.Tags.Select(t => (t.Tag.Trim().ToLowerInvariant(), BuildPattern(t.Keywords))).ToList();
        _orderSkills = _options.OrderSkills
            .Where(p => Enum.TryParse<Store.OrderStage>(p.Key, ignoreCase: true, out _))
            .ToDictionary(p => Enum.Parse<Store.OrderStage>(p.Key, ignoreCase: true), p => p.Value.ToLowerInvariant());
    }

    /// <param name="senderLanguage">The language the platform reports for the customer (Telegram's), used where the text's script does not tell.</param>
    public Classification Classify(
        string text, bool isVip, string? channelType = null, Store.OrderStage orderStage = Store.OrderStage.None, string? senderLanguage = null)
    {
        var priority = isVip ? _options.VipPriority : _options.DefaultPriority;
        var language = LanguageDetector.Detect(text, _options.LatinLanguage, senderLanguage);
        var tier = isVip ? "; VIP customer" : "";
        if (isVip && !string.IsNullOrEmpty(_options.VipQueue))
        {
            return new(_options.VipQueue.ToLowerInvariant(), priority, "VIP customer: VIP queue", language);
        }

        foreach (var (rule, pattern) in _rules)
        {
            if (rule.Channels.Count > 0 && !rule.Channels.Contains(channelType ?? "", StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (rule.Languages.Count > 0 && !rule.Languages.Any(l => LanguageDetector.Covers(l, language)))
            {
                continue;
            }

            var scope = (rule.Channels.Count > 0 ? $" on channel '{channelType}'" : "") + (rule.Languages.Count > 0 ? $" in language '{language}'" : "");
            if (pattern is null)
            {
                return new(rule.Skill.ToLowerInvariant(), priority, $"rule '{rule.Name}' matched{scope}{tier}", language);
            }

            var match = pattern.Match(text);
            if (match.Success)
            {
                return new(rule.Skill.ToLowerInvariant(), priority, $"rule '{rule.Name}' matched '{match.Value}'{scope}{tier}", language);
            }
        }

        if (orderStage != Store.OrderStage.None && _orderSkills.TryGetValue(orderStage, out var byOrder))
        {
            return new(byOrder, priority, $"no rule matched: {StageReason(orderStage)}{tier}", language);
        }

        return new(_options.DefaultSkill.ToLowerInvariant(), priority, $"no rule matched: default skill{tier}", language);
    }

    private static string StageReason(Store.OrderStage stage) => stage switch
    {
        Store.OrderStage.Unpaid => "an unpaid order",
        Store.OrderStage.Bought => "a paid order",
        Store.OrderStage.Refund => "a refund in progress",
        _ => "no order",
    };

    /// <summary>The tags whose keywords <paramref name="text"/> matches, added to <paramref name="existing"/> (comma separated); the same string when nothing is new.</summary>
    public string AddTags(string existing, string text)
    {
        var tags = existing.Split(',', StringSplitOptions.RemoveEmptyEntries).ToList();
        foreach (var (tag, pattern) in _tags)
        {
            if (!tags.Contains(tag) && pattern.IsMatch(text))
            {
                tags.Add(tag);
            }
        }

        return tags.Count == 0 ? existing : string.Join(',', tags);
    }

    private static Regex BuildPattern(IEnumerable<string> keywords)
    {
        // Word boundaries only make sense around ASCII words; CJK text has no spaces between words.
        var parts = keywords.Select(k =>
        {
            var escaped = Regex.Escape(k.Trim()).Replace("\\ ", "\\s+");
            var asciiStart = char.IsAsciiLetterOrDigit(k.Trim()[0]);
            var asciiEnd = char.IsAsciiLetterOrDigit(k.Trim()[^1]);
            return (asciiStart ? "\\b" : "") + escaped + (asciiEnd ? "\\b" : "");
        });
        return new Regex(string.Join("|", parts), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Compiled);
    }
}

using System.Text.RegularExpressions;

namespace ChatGateway.Gateway.Routing;

internal sealed record Classification(string Skill, int Priority, string Reason);

/// <summary>
/// Picks a conversation's skill from keyword rules (Chinese keywords match anywhere, English ones as
/// whole words, case-insensitively) and its priority from the customer's tier.
/// </summary>
internal sealed class SkillClassifier
{
    private readonly RoutingOptions _options;
    private readonly List<(KeywordRule Rule, Regex? Pattern)> _rules;

    public SkillClassifier(RoutingOptions options)
    {
        _options = options;
        _rules = _options.Rules.Select(r => (r, r.Keywords.Count == 0 ? null : BuildPattern(r.Keywords))).ToList();
    }

    public Classification Classify(string text, bool isVip, string? channelType = null)
    {
        var priority = isVip ? _options.VipPriority : _options.DefaultPriority;
        var tier = isVip ? "; VIP customer" : "";
        if (isVip && !string.IsNullOrEmpty(_options.VipQueue))
        {
            return new(_options.VipQueue.ToLowerInvariant(), priority, "VIP customer: VIP queue");
        }

        foreach (var (rule, pattern) in _rules)
        {
            if (rule.Channels.Count > 0 && !rule.Channels.Contains(channelType ?? "", StringComparer.OrdinalIgnoreCase))
            {
                continue;
            }

            if (pattern is null)
            {
                return new(rule.Skill.ToLowerInvariant(), priority, $"rule '{rule.Name}' matched channel '{channelType}'{tier}");
            }

            var match = pattern.Match(text);
            if (match.Success)
            {
                return new(rule.Skill.ToLowerInvariant(), priority, $"rule '{rule.Name}' matched '{match.Value}'{tier}");
            }
        }

        return new(_options.DefaultSkill.ToLowerInvariant(), priority, $"no rule matched: default skill{tier}");
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

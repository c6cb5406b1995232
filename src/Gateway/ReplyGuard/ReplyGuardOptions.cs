using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.ReplyGuard;

/// <summary>
/// The forbidden-phrase guard (服务禁语, section <c>ReplyGuard</c>): phrases an agent's reply should not carry, each with
/// why and what to say instead. A reply that carries one is sent only when the agent confirms; each such send is counted.
/// </summary>
internal sealed class ReplyGuardOptions
{
    /// <summary>Off: every reply goes out unchecked and the check endpoint finds nothing.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The phrases (defaults in appsettings.json: the classic ones from service training, Chinese and English).</summary>
    public List<ForbiddenPhrase> Phrases { get; set; } = [];

    /// <summary>Other shops' and platforms' names an agent should not mention (none by default).</summary>
    public List<string> Competitors { get; set; } = [];

    public string CompetitorReason { get; set; } = "不要在回复中提及其他店铺或平台 Do not mention other shops or platforms to a customer.";

    public string CompetitorSuggestion { get; set; } = "介绍我们自己商品和服务的优势 Talk about what our product and service offer.";
}

/// <summary>
/// One forbidden phrase: literal <see cref="Phrases"/> (Chinese anywhere in the reply, English as whole words, any case) or a
/// regular expression <see cref="Pattern"/>. With <see cref="WholeReply"/> it counts only when it is all the reply says
/// (punctuation, spaces and closing particles aside): a bare "不知道" is a brush-off, "不知道的话我帮您查" is not.
/// </summary>
internal sealed class ForbiddenPhrase
{
    public List<string> Phrases { get; set; } = [];
    public string? Pattern { get; set; }
    public bool WholeReply { get; set; }
    public string Reason { get; set; } = "";
    public string Suggestion { get; set; } = "";
}

/// <summary>Every entry checked at start-up and on reload; each problem names its key.</summary>
internal sealed class ReplyGuardOptionsValidator : IValidateOptions<ReplyGuardOptions>
{
    public const int MaxPhraseLength = 200;

    public ValidateOptionsResult Validate(string? name, ReplyGuardOptions o)
    {
        var errors = new List<string>();
        for (var i = 0; i < o.Phrases.Count; i++)
        {
            var p = o.Phrases[i];
            var key = $"ReplyGuard:Phrases:{i}";
            var hasPattern = !string.IsNullOrWhiteSpace(p.Pattern);
            if (p.Phrases.Count == 0 && !hasPattern)
            {
                errors.Add($"{key}: set Phrases (a list of words) or Pattern (a regular expression).");
            }

            if (p.Phrases.Count > 0 && hasPattern)
            {
                errors.Add($"{key}: set Phrases or Pattern, not both.");
            }

            for (var j = 0; j < p.Phrases.Count; j++)
            {
                if (string.IsNullOrWhiteSpace(p.Phrases[j]) || p.Phrases[j].Length > MaxPhraseLength)
                {
                    errors.Add($"{key}:Phrases:{j} must be a phrase of 1-{MaxPhraseLength} characters.");
                }
            }

            if (hasPattern)
            {
                try
                {
                    _ = new Regex(p.Pattern!, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
                }
                catch (ArgumentException ex)
                {
                    errors.Add($"{key}:Pattern '{p.Pattern}' is not a regular expression: {ex.Message}");
                }
            }

            if (string.IsNullOrWhiteSpace(p.Reason))
            {
                errors.Add($"{key}:Reason is required: why the phrase hurts (the agent sees it).");
            }

            if (string.IsNullOrWhiteSpace(p.Suggestion))
            {
                errors.Add($"{key}:Suggestion is required: what to say instead.");
            }
        }

        for (var i = 0; i < o.Competitors.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(o.Competitors[i]) || o.Competitors[i].Length > MaxPhraseLength)
            {
                errors.Add($"ReplyGuard:Competitors:{i} must be a name of 1-{MaxPhraseLength} characters.");
            }
        }

        if (o.Competitors.Count > 0 && (string.IsNullOrWhiteSpace(o.CompetitorReason) || string.IsNullOrWhiteSpace(o.CompetitorSuggestion)))
        {
            errors.Add("ReplyGuard:CompetitorReason and ReplyGuard:CompetitorSuggestion are required when ReplyGuard:Competitors names any.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.CannedReplies;

/// <summary>Canned replies (话术, section <c>CannedReplies</c>): the starter set and how <c>{name}</c> reads when the customer's name is not known.</summary>
internal sealed class CannedReplyOptions
{
    /// <summary>
    /// Shared replies created on the first start that has them (each once, by shortcut: a shop that deletes or edits one keeps
    /// its choice). Defaults in appsettings.json: greeting, size, bargaining, payment reminder, shipping, returns, apology and
    /// closing, in Chinese and English.
    /// </summary>
    public List<StarterReply> Starter { get; set; } = [];

    /// <summary><c>{name}</c> for a customer whose name is not known, by the reply's language (<c>zh</c> for a text in Chinese, else <c>en</c>).</summary>
    public Dictionary<string, string> NameFallback { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public string FallbackFor(string text) =>
        NameFallback.TryGetValue(CannedReplyText.IsChinese(text) ? "zh" : "en", out var name) ? name : (CannedReplyText.IsChinese(text) ? "亲" : "there");
}

internal sealed class StarterReply
{
    public string Shortcut { get; set; } = "";
    public string Title { get; set; } = "";
    public string Text { get; set; } = "";
    public string? Skill { get; set; }
}

/// <summary>The starter set checked at start-up with the API's own rules; each problem names its key.</summary>
internal sealed class CannedReplyOptionsValidator : IValidateOptions<CannedReplyOptions>
{
    public ValidateOptionsResult Validate(string? name, CannedReplyOptions o)
    {
        var errors = new List<string>();
        var shortcuts = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < o.Starter.Count; i++)
        {
            var s = o.Starter[i];
            var key = $"CannedReplies:Starter:{i}";
            if (CannedReplyText.Problem(s.Shortcut, s.Title, s.Text) is { } problem)
            {
                errors.Add($"{key}: {problem}.");
            }
            else if (!shortcuts.Add(CannedReplyText.NormalShortcut(s.Shortcut)))
            {
                errors.Add($"{key}:Shortcut '{s.Shortcut}' is already used by an earlier entry.");
            }
        }

        foreach (var (language, fallback) in o.NameFallback)
        {
            if (language is not ("zh" or "en") || fallback.Length > 50)
            {
                errors.Add($"CannedReplies:NameFallback:{language} must be zh or en, with at most 50 characters.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

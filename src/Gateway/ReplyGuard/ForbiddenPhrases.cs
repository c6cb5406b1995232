using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.ReplyGuard;

/// <summary>A forbidden phrase found in a reply: the words as written (at <see cref="Start"/>, UTF-16 units), why, and what to say instead.</summary>
public sealed record ForbiddenMatch(string Phrase, string Reason, string Suggestion, int Start, int Length);

/// <summary>
/// Finds the forbidden phrases of <see cref="ReplyGuardOptions"/> in a reply. The list reloads with the configuration: a
/// good reload applies to the next check, a bad one is refused with its reasons logged and the last good list stays.
/// </summary>
internal sealed partial class ForbiddenPhrases : IHostedService, IDisposable
{
    private static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(100);
    private readonly ReplyGuardOptionsValidator _validator = new();
    private readonly ILogger<ForbiddenPhrases> _logger;
    private readonly IDisposable? _subscription;
    private volatile Compiled _current;

    public ForbiddenPhrases(IOptionsMonitor<ReplyGuardOptions> monitor, ILogger<ForbiddenPhrases> logger)
    {
        _logger = logger;
        var result = _validator.Validate(null, monitor.CurrentValue);
        if (result.Failed)
        {
            throw new OptionsValidationException(nameof(ReplyGuardOptions), typeof(ReplyGuardOptions), result.Failures);
        }

        _current = Compile(monitor.CurrentValue);
        _subscription = monitor.OnChange(Reload);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The phrases <paramref name="text"/> carries, in the order they appear; empty when the guard is off.</summary>
    public IReadOnlyList<ForbiddenMatch> Find(string text)
    {
        var compiled = _current;
        if (!compiled.Enabled || string.IsNullOrWhiteSpace(text))
        {
            return [];
        }

        // Curly apostrophes as straight ones (same length, so positions hold): "don’t" is "don't".
        var plain = text.Replace('\u2019', '\'').Replace('\u2018', '\'');
        var core = Core(plain);
        var found = new List<ForbiddenMatch>();
        foreach (var rule in compiled.Rules)
        {
            try
            {
                if (rule.WholeReply)
                {
                    if (rule.Regex.IsMatch(core))
                    {
                        var trimmed = text.Trim();
                        found.Add(new ForbiddenMatch(trimmed, rule.Reason, rule.Suggestion, text.IndexOf(trimmed, StringComparison.Ordinal), trimmed.Length));
                    }
                }
                else if (rule.Regex.Match(plain) is { Success: true } m)
                {
                    found.Add(new ForbiddenMatch(text.Substring(m.Index, m.Length), rule.Reason, rule.Suggestion, m.Index, m.Length));
                }
            }
            catch (RegexMatchTimeoutException)
            {
                LogTimeout(_logger, rule.Key);
            }
        }

        return [.. found.OrderBy(f => f.Start)];
    }

    public void Dispose() => _subscription?.Dispose();

    private void Reload(ReplyGuardOptions options)
    {
        var result = _validator.Validate(null, options);
        if (result.Failed)
        {
            LogRefused(_logger, string.Join(" ", result.Failures));
            return;
        }

        _current = Compile(options);
    }

    private static Compiled Compile(ReplyGuardOptions o)
    {
        var rules = new List<Rule>();
        for (var i = 0; i < o.Phrases.Count; i++)
        {
            var p = o.Phrases[i];
            var key = $"ReplyGuard:Phrases:{i}";
            string pattern;
            if (!string.IsNullOrWhiteSpace(p.Pattern))
            {
                pattern = p.WholeReply ? $"^(?:{p.Pattern})$" : p.Pattern;
            }
            else if (p.WholeReply)
            {
                pattern = "^(?:" + string.Join("|", p.Phrases.Select(x => Regex.Escape(Core(x)))) + ")$";
            }
            else
            {
                pattern = Literals(p.Phrases);
            }

            rules.Add(new Rule(key, new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout), p.WholeReply, p.Reason.Trim(), p.Suggestion.Trim()));
        }

        if (o.Competitors.Count > 0)
        {
            rules.Add(new Rule("ReplyGuard:Competitors", new Regex(Literals(o.Competitors), RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, MatchTimeout), false, o.CompetitorReason.Trim(), o.CompetitorSuggestion.Trim()));
        }

        return new Compiled(o.Enabled, rules);
    }

    /// <summary>Literal phrases as one expression: Chinese (or any non-Latin) text anywhere, Latin words as whole words.</summary>
    private static string Literals(IEnumerable<string> phrases) => string.Join("|", phrases
        .Select(p => p.Trim().Replace('\u2019', '\''))
        .OrderByDescending(p => p.Length)
        .Select(p => p.Any(char.IsAsciiLetter) ? $@"(?<![\p{{L}}\p{{N}}']){Regex.Escape(p)}(?![\p{{L}}\p{{N}}])" : Regex.Escape(p)));

    /// <summary>What a reply says once punctuation, symbols, extra spaces, an opening 亲 and closing particles are set aside.</summary>
    internal static string Core(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (var c in text.Replace('\u2019', '\'').Replace('\u2018', '\''))
        {
            if (char.IsLetterOrDigit(c) || c == '\'')
            {
                sb.Append(char.ToLowerInvariant(c));
            }
            else if (char.IsWhiteSpace(c) || char.IsPunctuation(c) || char.IsSymbol(c))
            {
                if (sb.Length > 0 && sb[^1] != ' ')
                {
                    sb.Append(' ');
                }
            }
        }

        var core = sb.ToString().Trim();
        core = LeadingAddress().Replace(core, "");
        core = TrailingParticles().Replace(core, "");
        return core.Trim();
    }

    [GeneratedRegex(@"^(亲爱的|亲亲|亲|嗯|呃|额)\s*")]
    private static partial Regex LeadingAddress();

    [GeneratedRegex(@"[\s啊呀哦喔呢吧啦嘛哈欸诶耶哟]+$")]
    private static partial Regex TrailingParticles();

    private sealed record Rule(string Key, Regex Regex, bool WholeReply, string Reason, string Suggestion);

    private sealed record Compiled(bool Enabled, IReadOnlyList<Rule> Rules);

    [LoggerMessage(EventId = 7400, Level = LogLevel.Error, Message = "ReplyGuard reload refused, the last good phrases stay: {Reasons}")]
    private static partial void LogRefused(ILogger logger, string reasons);

    [LoggerMessage(EventId = 7401, Level = LogLevel.Warning, Message = "{Key} took too long on a reply and was skipped for it")]
    private static partial void LogTimeout(ILogger logger, string key);
}

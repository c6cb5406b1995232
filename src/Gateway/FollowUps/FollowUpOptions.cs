using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.FollowUps;

/// <summary>
/// The follow-ups a shop's service team keeps (section <c>FollowUps</c>), in shop time (<c>BusinessHours:TimeZone</c>).
/// Reloaded live; a reload that does not validate keeps the last good rules.
/// </summary>
internal sealed class FollowUpOptions
{
    /// <summary>The shop's name for <c>{shop}</c> and as the sender of follow-ups.</summary>
    public string ShopName { get; set; } = "Demo Shop";

    /// <summary>The shop's name for <c>{shop}</c> by the customer's language (<c>zh</c>, <c>en</c>); a language without one: <see cref="ShopName"/>.</summary>
    public Dictionary<string, string> ShopNames { get; set; } = [];

    public string ShopNameIn(string language) => ShopNames.TryGetValue(language, out var name) && !string.IsNullOrWhiteSpace(name) ? name : ShopName;

    /// <summary>No follow-up goes out between these times, shop time (<c>HH:mm-HH:mm</c>, across midnight).</summary>
    public string QuietHours { get; set; } = "21:00-09:00";

    /// <summary>When the day's parcels leave, shop time: an order placed from 16:00 is reminded the next morning in the hour before.</summary>
    public string DispatchTime { get; set; } = "10:00";

    /// <summary>The payment cut-off for same-day dispatch, for <c>{cutoff}</c>.</summary>
    public string DispatchCutoff { get; set; } = "16:00";

    /// <summary>Payment reminders per unpaid order at most (one per day, in the order's slot).</summary>
    public int MaxPaymentReminders { get; set; } = 2;

    /// <summary>At most one payment reminder per buyer within this time, across all their orders.</summary>
    public TimeSpan PaymentReminderGap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>At most this many follow-ups sent to one contact per 24 hours (promised callbacks aside).</summary>
    public int MaxPerContactPerDay { get; set; } = 3;

    /// <summary>The language of a buyer whose language is not known: <c>zh</c> or <c>en</c>.</summary>
    public string DefaultLanguage { get; set; } = "zh";

    /// <summary>One rule per kind (<see cref="Store.FollowUpKinds"/>).</summary>
    public Dictionary<string, FollowUpRule> Rules { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Greetings on dates (holidays) to contacts who accept marketing.</summary>
    public List<GreetingRule> Greetings { get; set; } = [];

    public FollowUpRule Rule(string kind) => Rules.TryGetValue(kind, out var rule) ? rule : FollowUpRule.Disabled;
}

/// <summary>A kind of follow-up: whether it runs, when, whether it is marketing, and its texts.</summary>
internal sealed class FollowUpRule
{
    public static readonly FollowUpRule Disabled = new() { Enabled = false };

    public bool Enabled { get; set; } = true;

    /// <summary>After its cause (delivery, the conversation's close); for an order confirmation's second message, after the first.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Marketing (a review request, a return visit, a greeting): skipped for contacts who declined marketing.</summary>
    public bool Marketing { get; set; }

    /// <summary>Skipped as stale when the gateway gets to it this long after it was due (it was down).</summary>
    public TimeSpan StaleAfter { get; set; } = TimeSpan.FromHours(6);

    /// <summary>The text by language (<c>zh</c>, <c>en</c>), with variables such as <c>{name}</c>.</summary>
    public Dictionary<string, string> Templates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>An order confirmation's second message, on another channel, when the buyer neither answered nor paid (empty: none).</summary>
    public Dictionary<string, string> SecondTemplates { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>A greeting on a date: <c>MM-dd</c> every year or <c>yyyy-MM-dd</c> once.</summary>
internal sealed class GreetingRule
{
    public string Name { get; set; } = "";
    public string Date { get; set; } = "";
    public string Time { get; set; } = "10:00";
    public Dictionary<string, string> Templates { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public bool FallsOn(DateOnly day) =>
        DateOnly.TryParseExact(Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var once)
            ? once == day
            : Date == day.ToString("MM-dd", CultureInfo.InvariantCulture);
}

/// <summary>Every rule and greeting checked at start-up and on reload, each problem naming its key.</summary>
internal sealed partial class FollowUpOptionsValidator : IValidateOptions<FollowUpOptions>
{
    public static readonly string[] Variables = ["name", "shop", "product", "amount", "currency", "order", "carrier", "tracking", "agent", "cutoff", "date", "time"];

    public ValidateOptionsResult Validate(string? name, FollowUpOptions o)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(o.ShopName) || o.ShopName.Length > 100)
        {
            errors.Add("FollowUps:ShopName is required (at most 100 characters).");
        }

        if (!ShopTime.TryParseRange(o.QuietHours, out _, out _))
        {
            errors.Add($"FollowUps:QuietHours '{o.QuietHours}' must be HH:mm-HH:mm.");
        }

        if (!ShopTime.TryParseTime(o.DispatchTime, out var dispatch) || dispatch < new TimeOnly(1, 0))
        {
            errors.Add($"FollowUps:DispatchTime '{o.DispatchTime}' must be a time HH:mm from 01:00.");
        }

        if (!ShopTime.TryParseTime(o.DispatchCutoff, out _))
        {
            errors.Add($"FollowUps:DispatchCutoff '{o.DispatchCutoff}' must be a time HH:mm.");
        }

        if (o.MaxPaymentReminders is < 0 or > 5)
        {
            errors.Add("FollowUps:MaxPaymentReminders must be from 0 to 5.");
        }

        if (o.PaymentReminderGap < TimeSpan.Zero || o.PaymentReminderGap > TimeSpan.FromDays(7))
        {
            errors.Add("FollowUps:PaymentReminderGap must be from 00:00:00 to 7.00:00:00.");
        }

        if (o.MaxPerContactPerDay < 1)
        {
            errors.Add("FollowUps:MaxPerContactPerDay must be at least 1.");
        }

        errors.AddRange(Conversations.CustomerLanguage.Errors("FollowUps:ShopNames", o.ShopNames));
        if (o.DefaultLanguage is not ("zh" or "en"))
        {
            errors.Add("FollowUps:DefaultLanguage must be zh or en.");
        }

        foreach (var (kind, rule) in o.Rules)
        {
            var key = $"FollowUps:Rules:{kind}";
            if (!Store.FollowUpKinds.All.Contains(kind, StringComparer.Ordinal))
            {
                errors.Add($"{key}: unknown kind '{kind}' (one of {string.Join(", ", Store.FollowUpKinds.All)}).");
                continue;
            }

            if (rule.Delay < TimeSpan.Zero || rule.Delay > TimeSpan.FromDays(365))
            {
                errors.Add($"{key}:Delay must be from 00:00:00 to 365.00:00:00.");
            }

            if (rule.StaleAfter <= TimeSpan.Zero)
            {
                errors.Add($"{key}:StaleAfter must be positive.");
            }

            if (rule.Enabled && kind != Store.FollowUpKinds.Callback && kind != Store.FollowUpKinds.Greeting && !rule.Templates.ContainsKey(o.DefaultLanguage))
            {
                errors.Add($"{key}:Templates needs a '{o.DefaultLanguage}' text (FollowUps:DefaultLanguage).");
            }

            CheckTemplates(errors, $"{key}:Templates", rule.Templates);
            CheckTemplates(errors, $"{key}:SecondTemplates", rule.SecondTemplates);
        }

        for (var i = 0; i < o.Greetings.Count; i++)
        {
            var g = o.Greetings[i];
            var key = $"FollowUps:Greetings:{i}";
            if (string.IsNullOrWhiteSpace(g.Name))
            {
                errors.Add($"{key}:Name is required.");
            }

            if (!DateOnly.TryParseExact(g.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _)
                && !DateOnly.TryParseExact("2000-" + g.Date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _))
            {
                errors.Add($"{key}:Date '{g.Date}' must be MM-dd or yyyy-MM-dd.");
            }

            if (!ShopTime.TryParseTime(g.Time, out _))
            {
                errors.Add($"{key}:Time '{g.Time}' must be HH:mm.");
            }

            if (g.Templates.Count == 0)
            {
                errors.Add($"{key}:Templates needs at least one text.");
            }

            CheckTemplates(errors, $"{key}:Templates", g.Templates);
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void CheckTemplates(List<string> errors, string key, Dictionary<string, string> templates)
    {
        foreach (var (language, text) in templates)
        {
            if (language is not ("zh" or "en"))
            {
                errors.Add($"{key}:{language}: the language must be zh or en.");
            }

            if (string.IsNullOrWhiteSpace(text) || text.Length > 1000)
            {
                errors.Add($"{key}:{language}: the text is required (at most 1000 characters).");
                continue;
            }

            if (Templates.Problem(text) is { } problem)
            {
                errors.Add($"{key}:{language}: {problem}.");
            }
        }
    }
}

/// <summary>Texts with <c>{variable}</c> placeholders.</summary>
internal static partial class Templates
{
    /// <summary>Why the text is not a valid template, or null.</summary>
    public static string? Problem(string text)
    {
        var depth = 0;
        foreach (var c in text)
        {
            depth += c == '{' ? 1 : c == '}' ? -1 : 0;
            if (depth is < 0 or > 1)
            {
                return "unbalanced braces";
            }
        }

        if (depth != 0)
        {
            return "unbalanced braces";
        }

        foreach (Match match in Placeholder().Matches(text))
        {
            if (!FollowUpOptionsValidator.Variables.Contains(match.Groups[1].Value))
            {
                return $"unknown variable {{{match.Groups[1].Value}}} (known: {string.Join(", ", FollowUpOptionsValidator.Variables.Select(v => "{" + v + "}"))})";
            }
        }

        return null;
    }

    public static string Render(string text, IReadOnlyDictionary<string, string?> values) =>
        Placeholder().Replace(text, m => values.TryGetValue(m.Groups[1].Value, out var value) ? value ?? "" : m.Value);

    [GeneratedRegex(@"\{([^{}]*)\}")]
    private static partial Regex Placeholder();
}

using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

internal sealed class RoutingOptions
{
    /// <summary>Skills a conversation can be routed to; agents' skills should come from this list.</summary>
    public List<string> Skills { get; set; } = [];

    /// <summary>Queue (step) for conversations no rule matches.</summary>
    public string DefaultSkill { get; set; } = "pre-sale";

    /// <summary>
    /// The default skill by where the customer stands with the shop's orders, when no keyword rule matched: keys <c>None</c>,
    /// <c>Unpaid</c> (pre-sale: still deciding or paying), <c>Bought</c> (paid, shipped or delivered: after-sale) and
    /// <c>Refund</c> (a refund in progress). A stage not listed takes <see cref="DefaultSkill"/>. Keyword rules still win
    /// (a buyer asking where the parcel is goes to logistics by its rule).
    /// </summary>
    public Dictionary<string, string> OrderSkills { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The routing workflow: queues, each with a target (skills and attributes an agent must have), a
    /// priority, and a timeout after which a waiting conversation overflows to the next step. Empty means
    /// one queue per skill, named after it, without overflow.
    /// </summary>
    public List<RoutingStep> Steps { get; set; } = [];

    /// <summary>Queue VIP customers start in (e.g. <c>vip</c>); empty: the queue their message was classified to.</summary>
    public string? VipQueue { get; set; }

    /// <summary>Keyword rules, first match wins.</summary>
    public List<KeywordRule> Rules { get; set; } = [];

    /// <summary>Tag rules: every rule whose keywords a customer message matches puts its tag on the conversation.</summary>
    public List<TagRule> Tags { get; set; } = [];

    /// <summary>Language assumed for text in Latin letters (the script tells Chinese, Japanese, Korean, Russian… apart, not English from Spanish).</summary>
    public string LatinLanguage { get; set; } = "en";

    /// <summary>Phone numbers and email addresses of VIP customers (their conversations are served first).</summary>
    public List<string> VipContacts { get; set; } = [];

    /// <summary>Priority of VIP conversations, 0-9 (higher first).</summary>
    public int VipPriority { get; set; } = 9;

    /// <summary>Priority of everyone else, 0-9.</summary>
    public int DefaultPriority { get; set; } = 0;

    /// <summary>Head start one priority level is worth in the queue; a longer wait beats any priority (aging).</summary>
    public TimeSpan PriorityStep { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>A returning customer goes back to the agent who served them within this many days, if that agent can take them.</summary>
    public int StickyDays { get; set; } = 3;

    /// <summary>An agent whose desk lost its connection this long has their conversations handed to others.</summary>
    public TimeSpan DisconnectGrace { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>An assigned conversation the agent has not answered within this time is offered to another able agent. Zero turns it off.</summary>
    public TimeSpan NoAnswerTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The shop's response target: a customer message unanswered this long raises an alert on the agent's desk.</summary>
    public TimeSpan ResponseTarget { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Typical time an agent spends on one conversation, for the wait estimate shown to customers.</summary>
    public TimeSpan AverageHandleTime { get; set; } = TimeSpan.FromMinutes(4);

    /// <summary>A conversation waiting longer than this while an agent able to take it is online is an alert on the supervisor view.</summary>
    public TimeSpan WaitingAlertAfter { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often Redis is brought in step with the store (the safety net behind the hand-off retry).</summary>
    public TimeSpan RecoveryInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>A conversation passed on more often than this is flagged for a supervisor.</summary>
    public int MaxTransfers { get; set; } = 3;
}

internal sealed class RoutingStep
{
    public string Name { get; set; } = "";

    /// <summary>Skills an agent must all have to serve this queue.</summary>
    public List<string> Skills { get; set; } = [];

    /// <summary>Attributes an agent must have, e.g. <c>language: zh</c> (the agent's values for the key must include it).</summary>
    public Dictionary<string, string> Attributes { get; set; } = [];

    /// <summary>Least priority (0-9) of conversations in this queue.</summary>
    public int? Priority { get; set; }

    /// <summary>How long a conversation waits here before it overflows to <see cref="Next"/>.</summary>
    public TimeSpan? Timeout { get; set; }

    public string? Next { get; set; }

    /// <summary>Go straight to <see cref="Next"/> when no agent able to serve this queue is online.</summary>
    public bool SkipWhenNobodyOnline { get; set; }
}

internal sealed class KeywordRule
{
    public string Name { get; set; } = "";
    public string Skill { get; set; } = "";
    public List<string> Keywords { get; set; } = [];

    /// <summary>Channel types the rule applies to (e.g. <c>sms</c>); empty: all. A rule with channels and no keywords sends the whole channel to its queue.</summary>
    public List<string> Channels { get; set; } = [];

    /// <summary>Customer languages the rule applies to (e.g. <c>en</c>); empty: all. A rule with languages and no keywords sends the whole language to its queue.</summary>
    public List<string> Languages { get; set; } = [];
}

internal sealed class TagRule
{
    /// <summary>The tag, e.g. <c>urgent</c>.</summary>
    public string Tag { get; set; } = "";
    public List<string> Keywords { get; set; } = [];
}

/// <summary>Checks routing settings and reports every problem at once, naming the rule or step.</summary>
internal sealed class RoutingOptionsValidator : IValidateOptions<RoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, RoutingOptions options)
    {
        var errors = new List<string>();
        var skills = new HashSet<string>(options.Skills, StringComparer.OrdinalIgnoreCase);
        if (skills.Count == 0)
        {
            errors.Add("Routing:Skills must list at least one skill.");
        }

        var queues = options.Steps.Count == 0 ? skills : new HashSet<string>(options.Steps.Select(s => s.Name), StringComparer.OrdinalIgnoreCase);
        ValidateSteps(options, skills, errors);
        if (!queues.Contains(options.DefaultSkill))
        {
            errors.Add($"Routing:DefaultSkill '{options.DefaultSkill}' is not a queue (a skill, or a step of Routing:Steps).");
        }

        foreach (var (stage, skill) in options.OrderSkills)
        {
            if (!Enum.TryParse<Store.OrderStage>(stage, ignoreCase: true, out _))
            {
                errors.Add($"Routing:OrderSkills:{stage} is not an order stage (None, Unpaid, Bought or Refund).");
            }
            else if (!queues.Contains(skill))
            {
                errors.Add($"Routing:OrderSkills:{stage} '{skill}' is not a queue (a skill, or a step of Routing:Steps).");
            }
        }

        if (!string.IsNullOrEmpty(options.VipQueue) && !queues.Contains(options.VipQueue))
        {
            errors.Add($"Routing:VipQueue '{options.VipQueue}' is not a queue.");
        }

        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            if (!queues.Contains(rule.Skill))
            {
                errors.Add($"Routing:Rules:{i}:Skill '{rule.Skill}' (rule '{rule.Name}') is not a queue (a skill, or a step of Routing:Steps).");
            }

            if ((rule.Keywords.Count == 0 && rule.Channels.Count == 0 && rule.Languages.Count == 0) || rule.Keywords.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"Routing:Rules:{i}:Keywords (rule '{rule.Name}') must list non-empty keywords, or the rule must name Channels or Languages.");
            }

            if (rule.Languages.Any(l => !LanguageDetector.IsLanguageCode(l)))
            {
                errors.Add($"Routing:Rules:{i}:Languages (rule '{rule.Name}') must be language codes such as 'zh' or 'en', not '{string.Join("', '", rule.Languages)}'.");
            }
        }

        for (var i = 0; i < options.Tags.Count; i++)
        {
            var tag = options.Tags[i];
            if (string.IsNullOrWhiteSpace(tag.Tag) || tag.Tag.Contains(',') || tag.Tag.Length > 40)
            {
                errors.Add($"Routing:Tags:{i}:Tag must be a name of 1-40 characters without commas, not '{tag.Tag}'.");
            }

            if (tag.Keywords.Count == 0 || tag.Keywords.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"Routing:Tags:{i}:Keywords (tag '{tag.Tag}') must list non-empty keywords.");
            }
        }

        if (!LanguageDetector.IsLanguageCode(options.LatinLanguage))
        {
            errors.Add($"Routing:LatinLanguage must be a language code such as 'en', not '{options.LatinLanguage}'.");
        }

        if (options.VipPriority is < 0 or > 9)
        {
            errors.Add($"Routing:VipPriority must be 0-9, not {options.VipPriority}.");
        }

        if (options.PriorityStep < TimeSpan.Zero)
        {
            errors.Add($"Routing:PriorityStep must not be negative, not {options.PriorityStep}.");
        }

        if (options.StickyDays < 0)
        {
            errors.Add($"Routing:StickyDays must not be negative, not {options.StickyDays}.");
        }

        if (options.DisconnectGrace < TimeSpan.Zero)
        {
            errors.Add($"Routing:DisconnectGrace must not be negative, not {options.DisconnectGrace}.");
        }

        if (options.NoAnswerTimeout < TimeSpan.Zero)
        {
            errors.Add($"Routing:NoAnswerTimeout must not be negative, not {options.NoAnswerTimeout}.");
        }

        if (options.ResponseTarget <= TimeSpan.Zero)
        {
            errors.Add($"Routing:ResponseTarget must be positive, not {options.ResponseTarget}.");
        }

        if (options.WaitingAlertAfter <= TimeSpan.Zero)
        {
            errors.Add($"Routing:WaitingAlertAfter must be positive, not {options.WaitingAlertAfter}.");
        }

        if (options.RecoveryInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"Routing:RecoveryInterval must be at least 1 second, not {options.RecoveryInterval}.");
        }

        if (options.MaxTransfers < 1)
        {
            errors.Add($"Routing:MaxTransfers must be at least 1, not {options.MaxTransfers}.");
        }

        if (options.DefaultPriority is < 0 or > 9)
        {
            errors.Add($"Routing:DefaultPriority must be 0-9, not {options.DefaultPriority}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateSteps(RoutingOptions options, HashSet<string> skills, List<string> errors)
    {
        var byName = new Dictionary<string, RoutingStep>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Steps.Count; i++)
        {
            var step = options.Steps[i];
            var key = $"Routing:Steps:{i}";
            if (string.IsNullOrWhiteSpace(step.Name))
            {
                errors.Add($"{key}:Name is required.");
                continue;
            }

            if (!byName.TryAdd(step.Name, step))
            {
                errors.Add($"{key}:Name '{step.Name}' is used by another step.");
            }

            if (step.Skills.Count == 0)
            {
                errors.Add($"{key}:Skills (step '{step.Name}') must list at least one skill.");
            }

            foreach (var skill in step.Skills.Where(s => !skills.Contains(s)))
            {
                errors.Add($"{key}:Skills (step '{step.Name}'): '{skill}' is not in Routing:Skills.");
            }

            if (step.Priority is < 0 or > 9)
            {
                errors.Add($"{key}:Priority (step '{step.Name}') must be 0-9, not {step.Priority}.");
            }

            if (step.Timeout < TimeSpan.Zero)
            {
                errors.Add($"{key}:Timeout (step '{step.Name}') must not be negative, not {step.Timeout}.");
            }

            if (step.Timeout is not null && step.Next is null)
            {
                errors.Add($"{key}:Timeout (step '{step.Name}') needs a Next step to overflow to.");
            }
        }

        for (var i = 0; i < options.Steps.Count; i++)
        {
            var step = options.Steps[i];
            if (step.Next is not null && !byName.ContainsKey(step.Next))
            {
                errors.Add($"Routing:Steps:{i}:Next (step '{step.Name}') '{step.Next}' is not a step.");
            }
        }

        // An overflow chain must end: vip -> after-sale -> vip would pass a customer around for ever.
        var reported = new HashSet<string>();
        foreach (var start in byName.Values)
        {
            var path = new List<string> { start.Name };
            var current = start;
            while (current.Next is not null && byName.TryGetValue(current.Next, out var next))
            {
                if (path.Contains(next.Name, StringComparer.OrdinalIgnoreCase))
                {
                    var cycle = string.Join(" -> ", path.Append(next.Name));
                    var members = string.Join(",", path.SkipWhile(p => !string.Equals(p, next.Name, StringComparison.OrdinalIgnoreCase)).Order(StringComparer.OrdinalIgnoreCase));
                    if (string.Equals(next.Name, start.Name, StringComparison.OrdinalIgnoreCase) && reported.Add(members))
                    {
                        errors.Add($"Routing:Steps: overflow cycle {cycle}.");
                    }

                    break;
                }

                path.Add(next.Name);
                current = next;
            }
        }
    }
}

using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Routing;

internal sealed class RoutingOptions
{
    /// <summary>Skills a conversation can be routed to; agents' skills should come from this list.</summary>
    public List<string> Skills { get; set; } = [];

    /// <summary>Skill for conversations no rule matches.</summary>
    public string DefaultSkill { get; set; } = "pre-sale";

    /// <summary>Keyword rules, first match wins.</summary>
    public List<KeywordRule> Rules { get; set; } = [];

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

    /// <summary>A conversation passed on more often than this is flagged for a supervisor.</summary>
    public int MaxTransfers { get; set; } = 3;
}

internal sealed class KeywordRule
{
    public string Name { get; set; } = "";
    public string Skill { get; set; } = "";
    public List<string> Keywords { get; set; } = [];
}

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

        if (!skills.Contains(options.DefaultSkill))
        {
            errors.Add($"Routing:DefaultSkill '{options.DefaultSkill}' is not in Routing:Skills.");
        }

        for (var i = 0; i < options.Rules.Count; i++)
        {
            var rule = options.Rules[i];
            if (!skills.Contains(rule.Skill))
            {
                errors.Add($"Routing:Rules:{i}:Skill '{rule.Skill}' (rule '{rule.Name}') is not in Routing:Skills.");
            }

            if (rule.Keywords.Count == 0 || rule.Keywords.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"Routing:Rules:{i}:Keywords (rule '{rule.Name}') must list non-empty keywords.");
            }
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
}

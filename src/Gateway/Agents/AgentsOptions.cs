using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

internal sealed class AgentsOptions
{
    /// <summary>Agents created or updated at start-up (passwords as hashes from <c>hash-password</c>).</summary>
    public List<AgentSeed> Seed { get; set; } = [];
}

internal sealed class AgentSeed
{
    public string UserName { get; set; } = "";
    public string? DisplayName { get; set; }
    public string PasswordHash { get; set; } = "";
    /// <summary><c>agent</c> (default) or <c>supervisor</c>.</summary>
    public string Role { get; set; } = Store.AgentRoles.Agent;
    public List<string> Skills { get; set; } = [];
    /// <summary>Attributes such as <c>language: [zh, en]</c>, <c>region: [north]</c>; routing steps can require them.</summary>
    public Dictionary<string, List<string>> Attributes { get; set; } = [];
    public int MaxConcurrent { get; set; } = 5;

    /// <summary>Limits per channel type within <see cref="MaxConcurrent"/>, e.g. <c>{ "webchat": 5, "email": 10 }</c>.</summary>
    public Dictionary<string, int> MaxConcurrentByChannel { get; set; } = [];
}

internal sealed class AgentsOptionsValidator(IOptions<Routing.RoutingOptions> routing) : IValidateOptions<AgentsOptions>
{
    public ValidateOptionsResult Validate(string? name, AgentsOptions options)
    {
        var errors = new List<string>();
        var skills = new HashSet<string>(routing.Value.Skills, StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Seed.Count; i++)
        {
            var a = options.Seed[i];
            var key = $"Agents:Seed:{i}";
            if (string.IsNullOrWhiteSpace(a.UserName))
            {
                errors.Add($"{key}:UserName is required.");
            }

            if (!PasswordHasher.IsHash(a.PasswordHash))
            {
                errors.Add($"{key}:PasswordHash must be a hash made by 'dotnet run --project src/Gateway -- hash-password <password>'.");
            }

            if (!Store.AgentRoles.All.Contains(a.Role))
            {
                errors.Add($"{key}:Role must be '{Store.AgentRoles.Agent}' or '{Store.AgentRoles.Supervisor}', not '{a.Role}'.");
            }

            if (a.MaxConcurrent is < 1 or > 100)
            {
                errors.Add($"{key}:MaxConcurrent must be 1-100.");
            }

            foreach (var (type, limit) in a.MaxConcurrentByChannel.Where(c => c.Value < 0 || c.Value > a.MaxConcurrent))
            {
                errors.Add($"{key}:MaxConcurrentByChannel:{type} must be 0-{a.MaxConcurrent} (MaxConcurrent), not {limit}.");
            }

            foreach (var skill in a.Skills.Where(s => !skills.Contains(s)))
            {
                errors.Add($"{key}:Skills: '{skill}' is not in Routing:Skills.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

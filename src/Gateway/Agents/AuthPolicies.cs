namespace ChatGateway.Gateway.Agents;

/// <summary>Authorization policies of the desk API.</summary>
internal static class AuthPolicies
{
    /// <summary>Supervisors (admins) only: the overview, agents and routing, contact merges, any conversation.</summary>
    public const string Supervisor = "supervisor";
}

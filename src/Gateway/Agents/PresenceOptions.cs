using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Agents;

/// <summary>
/// How an instance proves in Redis that the desks connected to it are still there. A crashed instance stops
/// beating; when its heartbeat expires the others treat its desks as lost (the grace of
/// <see cref="Routing.RoutingOptions.DisconnectGrace"/> then runs as for a dropped connection).
/// </summary>
internal sealed class PresenceOptions
{
    /// <summary><c>Presence:HeartbeatInterval</c>: how often the instance renews its heartbeat and desk list, and looks for instances that stopped.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// <c>Presence:HeartbeatExpiry</c>: a heartbeat not renewed this long marks its instance gone. Also how long Redis may
    /// be unreachable from an instance before the others count its desks as lost.
    /// </summary>
    public TimeSpan HeartbeatExpiry { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Checks the heartbeat settings, naming the key of every problem at once.</summary>
internal sealed class PresenceOptionsValidator : IValidateOptions<PresenceOptions>
{
    public ValidateOptionsResult Validate(string? name, PresenceOptions options)
    {
        var errors = new List<string>();
        if (options.HeartbeatInterval < TimeSpan.FromMilliseconds(100) || options.HeartbeatInterval > TimeSpan.FromMinutes(1))
        {
            errors.Add($"Presence:HeartbeatInterval must be between 00:00:00.1 and 00:01:00, not {options.HeartbeatInterval}.");
        }

        // One missed beat (a slow Redis call, a pause) must not make a live instance look gone.
        if (options.HeartbeatExpiry < 2 * options.HeartbeatInterval)
        {
            errors.Add($"Presence:HeartbeatExpiry must be at least twice Presence:HeartbeatInterval ({2 * options.HeartbeatInterval}), not {options.HeartbeatExpiry}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

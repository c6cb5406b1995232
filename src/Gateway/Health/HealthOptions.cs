using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Health;

/// <summary>How readiness finds out that the store refuses writes (section <c>Health</c>).</summary>
internal sealed class HealthOptions
{
    /// <summary>
    /// How long the store may go without a successful write before readiness proves it with a write of its own
    /// (a row <c>health:{instance}</c> of GatewayKeys), and how often a failing store is tried again. An idle
    /// instance on a full disk would otherwise look ready until its first customer.
    /// </summary>
    public TimeSpan StoreProbeInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// A probe write still waiting after this long makes the instance not ready (SQLite waits up to 10 s for a
    /// lock another process holds; PostgreSQL as long as the lock is held).
    /// </summary>
    public TimeSpan StoreWriteTimeout { get; set; } = TimeSpan.FromSeconds(5);
}

/// <summary>Reports every bad <c>Health</c> setting at once, naming its key.</summary>
internal sealed class HealthOptionsValidator : IValidateOptions<HealthOptions>
{
    public ValidateOptionsResult Validate(string? name, HealthOptions options)
    {
        var errors = new List<string>();
        if (options.StoreProbeInterval <= TimeSpan.Zero)
        {
            errors.Add($"Health:StoreProbeInterval must be positive (it is {options.StoreProbeInterval}).");
        }

        if (options.StoreWriteTimeout <= TimeSpan.Zero)
        {
            errors.Add($"Health:StoreWriteTimeout must be positive (it is {options.StoreWriteTimeout}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

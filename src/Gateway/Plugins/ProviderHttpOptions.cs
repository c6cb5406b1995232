using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Plugins;

/// <summary>
/// How every channel instance calls its provider's HTTP API (section <c>ProviderHttp</c>): time limits, a circuit breaker per
/// host, and retries of reads only. A send (a POST) is never repeated here: delivery retries it durably, with backoff.
/// </summary>
internal sealed class ProviderHttpOptions
{
    /// <summary>
    /// Longest one call may take. A backstop above each channel's own <c>RequestTimeout</c> and Telegram's long poll
    /// (its <c>PollTimeout</c> plus <c>RequestTimeout</c>), which stay the limits that normally apply.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Longest a call may take with its retries (reads only are retried).</summary>
    public TimeSpan TotalTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Retries of a GET or HEAD (a media download, a profile lookup) that failed transiently, with jittered backoff. Off by
    /// default: the bundled plugins retry their downloads themselves, and retries under retries multiply the calls to a
    /// provider that is already struggling. For a plugin that does not, 1 or 2.
    /// </summary>
    public int GetRetries { get; set; }

    /// <summary>Wait before the first retry of a read; it doubles, with jitter.</summary>
    public TimeSpan GetRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Share of calls to one host that must fail (5xx, 408, no answer; a 429 does not count) within the sampling time to open its circuit.</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>Calls to one host within the sampling time before its failures can open the circuit.</summary>
    public int BreakerMinimumThroughput { get; set; } = 10;

    /// <summary>The time over which a host's failures are counted.</summary>
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long calls to a host fail at once, without reaching it, after its circuit opened; then one call tries it.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Reports every bad <c>ProviderHttp</c> setting at once, naming its key.</summary>
internal sealed class ProviderHttpOptionsValidator : IValidateOptions<ProviderHttpOptions>
{
    public ValidateOptionsResult Validate(string? name, ProviderHttpOptions o)
    {
        var errors = new List<string>();
        // The least Polly accepts for each (a smaller value throws at the first call, not at start-up).
        foreach (var (key, value, least, most) in new[]
        {
            ("AttemptTimeout", o.AttemptTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            ("TotalTimeout", o.TotalTimeout, TimeSpan.FromSeconds(1), TimeSpan.FromHours(1)),
            ("GetRetryDelay", o.GetRetryDelay, TimeSpan.Zero, TimeSpan.FromMinutes(1)),
            ("BreakerSamplingDuration", o.BreakerSamplingDuration, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
            ("BreakDuration", o.BreakDuration, TimeSpan.FromSeconds(1), TimeSpan.FromDays(1)),
        })
        {
            if (value < least || value > most)
            {
                errors.Add($"ProviderHttp:{key} must be from {least} to {most}, not {value}.");
            }
        }

        if (o.TotalTimeout < o.AttemptTimeout)
        {
            errors.Add($"ProviderHttp:TotalTimeout ({o.TotalTimeout}) must be at least ProviderHttp:AttemptTimeout ({o.AttemptTimeout}).");
        }

        if (o.GetRetries is < 0 or > 10)
        {
            errors.Add($"ProviderHttp:GetRetries must be from 0 to 10, not {o.GetRetries}.");
        }

        if (!(o.BreakerFailureRatio is > 0 and <= 1))
        {
            errors.Add($"ProviderHttp:BreakerFailureRatio must be more than 0 and at most 1 (e.g. 0.5), not {o.BreakerFailureRatio}.");
        }

        if (o.BreakerMinimumThroughput is < 2 or > 10_000)
        {
            errors.Add($"ProviderHttp:BreakerMinimumThroughput must be from 2 to 10000, not {o.BreakerMinimumThroughput}.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

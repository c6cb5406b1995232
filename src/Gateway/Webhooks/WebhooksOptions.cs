using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Webhooks;

/// <summary>The <c>Webhooks</c> section: how events are sent to the shop's own systems.</summary>
internal sealed class WebhooksOptions
{
    /// <summary>The waits before each retry (the first attempt is at once): attempts = 1 + its length. Null: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.</summary>
    public TimeSpan[]? RetrySchedule { get; set; }

    public static readonly TimeSpan[] DefaultSchedule =
    [
        TimeSpan.FromSeconds(5), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(30), TimeSpan.FromHours(2), TimeSpan.FromHours(5),
        TimeSpan.FromHours(10), TimeSpan.FromHours(10),
    ];

    public IReadOnlyList<TimeSpan> Schedule => RetrySchedule is { Length: > 0 } s ? s : DefaultSchedule;

    /// <summary>One attempt's limit: a receiver that has not answered by then failed this attempt.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>An endpoint whose every attempt failed for this long is disabled (also when an event used all its attempts).</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Allows plain http to hosts other than loopback (never in production: the payloads hold customers' messages).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Requests in flight to one endpoint at most (from this instance).</summary>
    public int ConcurrencyPerEndpoint { get; set; } = 4;

    /// <summary>Requests in flight from this instance at most.</summary>
    public int Concurrency { get; set; } = 32;

    /// <summary>How often the dispatcher looks for due deliveries when nothing woke it.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>How often each instance re-reads which events are subscribed (changes made on another instance).</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long the old secret keeps signing after a rotation, unless the rotation names its own.</summary>
    public TimeSpan SecretOverlap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Delivered events older than this are deleted (failed ones stay for replay until their endpoint is deleted).</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromDays(7);
}

internal sealed class WebhooksOptionsValidator : IValidateOptions<WebhooksOptions>
{
    public ValidateOptionsResult Validate(string? name, WebhooksOptions o)
    {
        var errors = new List<string>();
        if (o.RetrySchedule is { } schedule)
        {
            if (schedule.Length > 20)
            {
                errors.Add("Webhooks:RetrySchedule has at most 20 waits");
            }

            for (var i = 0; i < schedule.Length; i++)
            {
                if (schedule[i] < TimeSpan.Zero || schedule[i] > TimeSpan.FromDays(2))
                {
                    errors.Add($"Webhooks:RetrySchedule:{i} must be between 00:00:00 and 2.00:00:00");
                }
            }
        }

        if (o.AttemptTimeout <= TimeSpan.Zero || o.AttemptTimeout > TimeSpan.FromMinutes(2))
        {
            errors.Add("Webhooks:AttemptTimeout must be more than 0 and at most 00:02:00");
        }

        if (o.DisableAfter <= TimeSpan.Zero)
        {
            errors.Add("Webhooks:DisableAfter must be more than 0");
        }

        if (o.ConcurrencyPerEndpoint < 1)
        {
            errors.Add("Webhooks:ConcurrencyPerEndpoint must be at least 1");
        }

        if (o.Concurrency < 1)
        {
            errors.Add("Webhooks:Concurrency must be at least 1");
        }

        if (o.PollInterval <= TimeSpan.Zero)
        {
            errors.Add("Webhooks:PollInterval must be more than 0");
        }

        if (o.RefreshInterval <= TimeSpan.Zero)
        {
            errors.Add("Webhooks:RefreshInterval must be more than 0");
        }

        if (o.SecretOverlap < TimeSpan.Zero || o.SecretOverlap > TimeSpan.FromDays(30))
        {
            errors.Add("Webhooks:SecretOverlap must be between 00:00:00 and 30.00:00:00");
        }

        if (o.Retention < TimeSpan.FromHours(1))
        {
            errors.Add("Webhooks:Retention must be at least 01:00:00");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

using Microsoft.Extensions.Options;

namespace ChatGateway.Gateway.Delivery;

internal sealed class DeliveryOptions
{
    /// <summary>Send attempts before a message is marked failed (the dead-letter list).</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Wait before the first retry; doubles with each attempt.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// How long one attempt may take before it counts as a transient failure. The attempt's lease (the time no other
    /// instance may send the message) is this plus half a minute.
    /// </summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often due retries are looked for when nothing new arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Sends in flight at once; an instance claims no more messages than it has sends free.</summary>
    public int Concurrency { get; set; } = 8;
}

/// <summary>Reports every bad <c>Delivery</c> setting at once, naming its key.</summary>
internal sealed class DeliveryOptionsValidator : IValidateOptions<DeliveryOptions>
{
    public ValidateOptionsResult Validate(string? name, DeliveryOptions options)
    {
        var errors = new List<string>();
        if (options.MaxAttempts < 1)
        {
            errors.Add($"Delivery:MaxAttempts must be at least 1 (it is {options.MaxAttempts}).");
        }

        if (options.Concurrency < 1)
        {
            errors.Add($"Delivery:Concurrency must be at least 1 (it is {options.Concurrency}).");
        }

        foreach (var (key, value) in new[]
        {
            ("InitialBackoff", options.InitialBackoff), ("MaxBackoff", options.MaxBackoff),
            ("AttemptTimeout", options.AttemptTimeout), ("PollInterval", options.PollInterval),
        })
        {
            if (value <= TimeSpan.Zero)
            {
                errors.Add($"Delivery:{key} must be positive (it is {value}).");
            }
        }

        if (options.MaxBackoff < options.InitialBackoff)
        {
            errors.Add($"Delivery:MaxBackoff ({options.MaxBackoff}) must be at least Delivery:InitialBackoff ({options.InitialBackoff}).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

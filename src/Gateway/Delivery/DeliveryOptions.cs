namespace ChatGateway.Gateway.Delivery;

internal sealed class DeliveryOptions
{
    /// <summary>Send attempts before a message is marked failed (the dead-letter list).</summary>
    public int MaxAttempts { get; set; } = 6;

    /// <summary>Wait before the first retry; doubles with each attempt.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Longest wait between attempts.</summary>
    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long one attempt may take before it counts as a transient failure.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How often due retries are looked for when nothing new arrives.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Sends in flight at once.</summary>
    public int Concurrency { get; set; } = 8;
}

namespace ChatGateway.Gateway.Ingest;

internal sealed class IngestOptions
{
    /// <summary>Longest inbound text accepted from any channel, in characters.</summary>
    public int MaxTextLength { get; set; } = 10_000;

    /// <summary>Most inbound messages stored in one transaction (group commit).</summary>
    public int MaxBatch { get; set; } = 512;

    /// <summary>Inbound messages that may wait for the writer; beyond it callers wait (back-pressure to the providers).</summary>
    public int MaxQueued { get; set; } = 20_000;
}

/// <summary>Reports every bad <c>Ingest</c> setting at once, naming its key.</summary>
internal sealed class IngestOptionsValidator : Microsoft.Extensions.Options.IValidateOptions<IngestOptions>
{
    public Microsoft.Extensions.Options.ValidateOptionsResult Validate(string? name, IngestOptions options)
    {
        var errors = new List<string>();
        foreach (var (key, value, most) in new[] { ("MaxTextLength", options.MaxTextLength, 1_000_000), ("MaxBatch", options.MaxBatch, 10_000), ("MaxQueued", options.MaxQueued, 10_000_000) })
        {
            if (value < 1 || value > most)
            {
                errors.Add($"Ingest:{key} must be 1 to {most:N0} (it is {value}).");
            }
        }

        return errors.Count == 0 ? Microsoft.Extensions.Options.ValidateOptionsResult.Success : Microsoft.Extensions.Options.ValidateOptionsResult.Fail(errors);
    }
}

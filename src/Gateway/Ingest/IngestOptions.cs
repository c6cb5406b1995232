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

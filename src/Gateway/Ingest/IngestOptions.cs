namespace ChatGateway.Gateway.Ingest;

internal sealed class IngestOptions
{
    /// <summary>Longest inbound text accepted from any channel, in characters.</summary>
    public int MaxTextLength { get; set; } = 10_000;
}

namespace ChatGateway.Bench;

internal sealed record BenchOptions(bool Quick, string? Only, bool Pinned, int Connections, string? Compare = null)
{
    /// <summary>
    /// Least untimed warm-up before each measured phase (JIT, connection pools, SQLite pages). Under full
    /// load on two cores the runtime's tiered compiler needs 15-40 s to finish optimising a fresh process
    /// (the gateway used 170-190% CPU for the same rate until then, 120-130% after): shorter, and the
    /// figure measures the compiler, not the steady state a shop's long-running gateway is in. Throughput
    /// phases go on warming up until the server's compiler is quiet (<see cref="Bench.WarmUp"/>).
    /// </summary>
    public TimeSpan WarmUp => Quick ? TimeSpan.FromSeconds(2) : TimeSpan.FromSeconds(20);

    /// <summary>Longest warm-up of a throughput phase, for a compiler that never goes quiet.</summary>
    public TimeSpan MaxWarmUp => Quick ? TimeSpan.FromSeconds(8) : TimeSpan.FromSeconds(90);

    /// <summary>Length of each measured phase.</summary>
    public TimeSpan Measure => Quick ? TimeSpan.FromSeconds(4) : TimeSpan.FromSeconds(12);

    public bool Runs(string figure) => Only is null || Only == figure;

    public static BenchOptions? Parse(string[] args)
    {
        var options = new BenchOptions(false, null, false, 10_000);
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--quick":
                    options = options with { Quick = true };
                    break;
                case "--pinned":
                    options = options with { Pinned = true };
                    break;
                case "--only" when i + 1 < args.Length && args[i + 1] is "ingest" or "postgresql" or "latency" or "routing" or "connections" or "durability" or "followups":
                    options = options with { Only = args[++i] };
                    break;
                case "--compare" when i + 1 < args.Length && args[i + 1].IndexOf('=') > 0:
                    options = options with { Compare = args[++i], Only = "compare" };
                    break;
                case "--connections" when i + 1 < args.Length && int.TryParse(args[i + 1], out var n) && n > 0:
                    options = options with { Connections = n };
                    i++;
                    break;
                default:
                    return null;
            }
        }

        return options;
    }
}

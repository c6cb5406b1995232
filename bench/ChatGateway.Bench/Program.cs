using System.Diagnostics;
using ChatGateway.Bench;
using ChatGateway.Bench.Scenarios;

// The baseline servers run as their own processes, like the gateway: this same program, re-executed.
if (args is ["--serve-baseline", var redis])
{
    await BaselineServer.RunAsync(redis);
    return 0;
}

if (args is ["--serve-postgresql-baseline", var postgreSql])
{
    await BaselineServer.RunPostgreSqlAsync(postgreSql);
    return 0;
}

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine("""
        usage: dotnet run -c Release --project bench/ChatGateway.Bench -- [--quick] [--only ingest|postgresql|latency|routing|connections|durability|followups] [--pinned] [--connections N] [--compare K=V]
          --quick        shorter phases (a smoke run; figures are noisier)
          --only X       one figure
          --pinned       servers on CPU 0, the load generator on CPU 1 (taskset), for steadier figures
          --connections  widget connections to hold open (default 10000)
          --compare K=V  no figures: widget ingest of a gateway with the environment variable K=V against one without
        """);
    return 2;
}

if (options.Connections + 2_000 > Machine.OpenFileLimit())
{
    Console.Error.WriteLine($"{options.Connections:N0} connections need more open files than this shell allows ({Machine.OpenFileLimit():N0}); raise it with 'ulimit -n'.");
    return 2;
}

if (options.Pinned)
{
    Machine.PinSelfTo("1");
}

Console.WriteLine($"ChatGateway bench on {Machine.Describe()}");
Console.WriteLine(options.Pinned
    ? "Pinned: servers on CPU 0, load generator on CPU 1."
    : "Load generator and servers share the CPUs (use --pinned for steadier figures).");
Console.WriteLine();

var report = new Report(options);

var clock = Stopwatch.StartNew();
await using var context = await BenchContext.CreateAsync(options);
try
{
    if (options.Compare is { } setting)
    {
        await CompareScenario.RunAsync(context, report, setting);
    }

    var figures = new (string Name, Func<BenchContext, Report, Task> RunAsync)[]
    {
        ("ingest", IngestScenario.RunAsync),
        ("durability", DurabilityScenario.RunAsync),
        ("latency", LatencyScenario.RunAsync),
        ("routing", RoutingScenario.RunAsync),
        ("connections", ConnectionsScenario.RunAsync),
        ("postgresql", PostgreSqlIngestScenario.RunAsync),
        ("followups", FollowUpsScenario.RunAsync),
    };
    foreach (var figure in figures.Where(f => options.Runs(f.Name)))
    {
        // Each figure starts on a settled disk: what the figures before it wrote is on disk first.
        if (Machine.SettleDisk() is var took && took > TimeSpan.FromMilliseconds(200))
        {
            Console.WriteLine($"(the disk took {took.TotalSeconds:0.0} s to settle)");
        }

        await figure.RunAsync(context, report);
    }
}
finally
{
    report.Print(clock.Elapsed);
}

return report.AllPassed ? 0 : 1;

namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// For the work on the figures, not a figure: widget ingest on two gateways that differ in one setting
/// (an environment variable, such as <c>Store__PageSize=1024</c>), both up at once and measured in turns
/// (<see cref="Load.InTurnsAsync"/>), so that a change of a few percent shows through the machine's drift.
/// </summary>
internal static class CompareScenario
{
    public static async Task RunAsync(BenchContext context, Report report, string setting)
    {
        var (key, value) = (setting[..setting.IndexOf('=')], setting[(setting.IndexOf('=') + 1)..]);
        Console.WriteLine($"Widget ingest: gateway with {key}={value} against the gateway without (measured in turns)");
        var redis = await context.StartRedisAsync(appendOnly: false);
        var without = await context.StartGatewayAsync(redis, durableStore: true);
        var with = await context.StartGatewayAsync(redis, durableStore: true, new Dictionary<string, string> { [key] = value });
        using var withoutClient = Load.Client(without.BaseAddress, IngestScenario.Concurrency);
        using var withClient = Load.Client(with.BaseAddress, IngestScenario.Concurrency);
        var withoutTokens = await IngestScenario.VisitorsAsync(without.BaseAddress, 2_000);
        var withTokens = await IngestScenario.VisitorsAsync(with.BaseAddress, 2_000);
        var (a, b, ratios) = await Load.InTurnsAsync(
            new Load.Loop("without", withoutClient, IngestScenario.Concurrency, without.Pid, IngestScenario.WidgetRequest("/channels/webchat/messages", withoutTokens)),
            new Load.Loop($"with {key}={value}", withClient, IngestScenario.Concurrency, with.Pid, IngestScenario.WidgetRequest("/channels/webchat/messages", withTokens)),
            context.Options,
            turns: 12);
        await IngestScenario.CheckStoredAsync(report, without, "widget, without", a.Acknowledged);
        await IngestScenario.CheckStoredAsync(report, with, $"widget, with {key}={value}", b.Acknowledged);
        report.Absolute($"Widget ingest with {key}={value} (baseline: without)", $"{b.PerSecond:N0} msg/s", $"{a.PerSecond:N0} msg/s", $"ratio {b.PerSecond / a.PerSecond:0.00}", null);
        var sorted = ratios.Order().ToArray();
        report.Note($"With / without by turn: {Load.Turns(ratios)}; median {(sorted[5] + sorted[6]) / 2:0.00}.");
        await context.StopAsync(with);
        await context.StopAsync(without);
        await context.StopAsync(redis);
    }
}

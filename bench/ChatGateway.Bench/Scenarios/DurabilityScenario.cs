namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 5: what durability costs. SMS ingest with Redis appending to its AOF (fsync every second) and
/// the store's durable setting (SQLite synchronous=FULL), against both off. Both gateways, each with its
/// own redis-server, are up at once and measured in turns (<see cref="Load.InTurnsAsync"/>).
/// </summary>
internal static class DurabilityScenario
{
    public static async Task RunAsync(BenchContext context, Report report)
    {
        Console.WriteLine("Durability cost (measured in turns)");
        var fastRedis = await context.StartRedisAsync(appendOnly: false);
        var fast = await context.StartGatewayAsync(fastRedis, durableStore: false);
        var durableRedis = await context.StartRedisAsync(appendOnly: true);
        var durable = await context.StartGatewayAsync(durableRedis, durableStore: true);
        using var fastClient = Load.Client(fast.BaseAddress, IngestScenario.Concurrency);
        using var durableClient = Load.Client(durable.BaseAddress, IngestScenario.Concurrency);
        var (notDurable, isDurable, ratios) = await Load.InTurnsAsync(
            new Load.Loop("gateway, nothing durable", fastClient, IngestScenario.Concurrency, fast.Pid, IngestScenario.SmsRequest("/channels/sms/messages")),
            new Load.Loop("gateway, all durable", durableClient, IngestScenario.Concurrency, durable.Pid, IngestScenario.SmsRequest("/channels/sms/messages")),
            context.Options);
        report.AtLeast("Durable ingest (AOF everysec, SQLite FULL) vs not", isDurable.PerSecond, notDurable.PerSecond, "msg/s", 0.85);
        report.Note($"Durable / not durable by turn: {Load.Turns(ratios)}.");
        await context.StopAsync(durable);
        await context.StopAsync(durableRedis);
        await context.StopAsync(fast);
        await context.StopAsync(fastRedis);
    }
}

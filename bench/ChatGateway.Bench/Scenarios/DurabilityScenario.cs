namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 5: what durability costs. SMS ingest with Redis appending to its AOF (fsync every second) and
/// the store's durable setting (SQLite synchronous=FULL), against both off.
/// </summary>
internal static class DurabilityScenario
{
    public static async Task RunAsync(BenchContext context, Report report)
    {
        Console.WriteLine("Durability cost");
        var fast = await IngestAsync(context, durable: false);
        var durable = await IngestAsync(context, durable: true);
        report.AtLeast("Durable ingest (AOF everysec, SQLite FULL) vs not", durable, fast, "msg/s", 0.85);
    }

    private static async Task<double> IngestAsync(BenchContext context, bool durable)
    {
        var redis = await context.StartRedisAsync(appendOnly: durable);
        var gateway = await context.StartGatewayAsync(redis, durableStore: durable);
        var result = await IngestScenario.SmsAsync(context, gateway.BaseAddress, gateway.Pid, "/channels/sms/messages");
        await context.StopAsync(gateway);
        await context.StopAsync(redis);
        return result.PerSecond;
    }
}

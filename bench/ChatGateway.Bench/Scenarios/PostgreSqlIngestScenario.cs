namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 6: SMS ingest with the store on PostgreSQL (<c>Store:Provider=PostgreSql</c>), against its own raw
/// baseline: the same signed webhooks bound by a bare endpoint that does one awaited INSERT per request
/// (<see cref="BaselineServer.RunPostgreSqlAsync"/>). Both use one PostgreSQL server of the bench's own, fsync on
/// and <c>synchronous_commit=on</c>, each its own database; the gateway also queues for routing in a
/// redis-server, as on SQLite. Measured in turns (<see cref="Load.InTurnsAsync"/>), and every message the gateway
/// acknowledged must be in its database.
/// </summary>
internal static class PostgreSqlIngestScenario
{
    public static async Task RunAsync(BenchContext context, Report report)
    {
        Console.WriteLine("Ingest on PostgreSQL (baseline: one INSERT per request; measured in turns)");
        var postgreSql = await context.StartPostgreSqlAsync();
        var redis = await context.StartRedisAsync(appendOnly: false);
        var baseline = await context.StartPostgreSqlBaselineAsync(await postgreSql.CreateDatabaseAsync("baseline"));
        var gateway = await context.StartGatewayAsync(redis, durableStore: true, postgreSql: await postgreSql.CreateDatabaseAsync("gateway"));
        using (var baselineClient = Load.Client(baseline.BaseAddress, IngestScenario.Concurrency))
        using (var client = Load.Client(gateway.BaseAddress, IngestScenario.Concurrency))
        {
            await IngestScenario.MeasureAsync(context, report, gateway, "SMS on PostgreSQL", "Ingest on PostgreSQL: signed SMS webhooks",
                new Load.Loop("baseline SMS INSERT", baselineClient, IngestScenario.Concurrency, baseline.Pid, IngestScenario.SmsRequest("/sms")),
                new Load.Loop("gateway SMS on PostgreSQL", client, IngestScenario.Concurrency, gateway.Pid, IngestScenario.SmsRequest("/channels/sms/messages")));
        }

        await context.StopAsync(gateway);
        await context.StopAsync(baseline);
        await context.StopAsync(redis);
        await context.StopAsync(postgreSql);
    }
}

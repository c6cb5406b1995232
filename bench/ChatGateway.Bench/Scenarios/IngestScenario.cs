using System.Data.Common;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 1: inbound messages accepted per second, each committed to the store and queued for routing
/// before it is acknowledged: signed SMS webhooks and widget messages, against bare endpoints that bind
/// the same bodies and do one awaited Redis write. Both talk to the same redis-server, and both are up
/// at once: after each is warmed up they are measured in turns (<see cref="Load.InTurnsAsync"/>), so a
/// machine whose speed drifts during the run (shared 2-core machines do) weighs on both figures alike.
/// </summary>
internal static class IngestScenario
{
    public const int Concurrency = 128;
    public const int Customers = 10_000;

    public static async Task RunAsync(BenchContext context, Report report)
    {
        Console.WriteLine("Ingest throughput (baseline and gateway measured in turns)");
        var redis = await context.StartRedisAsync(appendOnly: false);
        var baseline = await context.StartBaselineAsync(redis);
        using var baselineClient = Load.Client(baseline.BaseAddress, Concurrency);

        var gateway = await context.StartGatewayAsync(redis, durableStore: true);
        using (var client = Load.Client(gateway.BaseAddress, Concurrency))
        {
            await MeasureAsync(context, report, gateway, "SMS", "Ingest: signed SMS webhooks",
                new Load.Loop("baseline SMS", baselineClient, Concurrency, baseline.Pid, SmsRequest("/sms")),
                new Load.Loop("gateway SMS", client, Concurrency, gateway.Pid, SmsRequest("/channels/sms/messages")));
        }

        await context.StopAsync(gateway);
        gateway = await context.StartGatewayAsync(redis, durableStore: true);
        using (var client = Load.Client(gateway.BaseAddress, Concurrency))
        {
            var tokens = await VisitorsAsync(gateway.BaseAddress, 2_000);
            await MeasureAsync(context, report, gateway, "widget", "Ingest: widget messages",
                new Load.Loop("baseline widget", baselineClient, Concurrency, baseline.Pid, WidgetRequest("/widget", tokens: null)),
                new Load.Loop("gateway widget", client, Concurrency, gateway.Pid, WidgetRequest("/channels/webchat/messages", tokens)));
        }

        await context.StopAsync(gateway);
        await context.StopAsync(baseline);
        await context.StopAsync(redis);
    }

    /// <summary>A signed SMS webhook from one of <see cref="Customers"/> customers, as Twilio sends it.</summary>
    public static Func<long, HttpRequestMessage> SmsRequest(string path)
    {
        var signedUrl = GatewayServer.PublicBaseUrl + "/channels/sms/messages";
        return n => Load.SmsWebhook(path, signedUrl, Load.Phone(n, Customers), $"Hi, is order {n} shipped yet?", n);
    }

    /// <summary>A widget message of one of the visitors (<paramref name="tokens"/>; the baseline takes any token).</summary>
    public static Func<long, HttpRequestMessage> WidgetRequest(string path, string[]? tokens) => n =>
    {
        // A string body with its length, as the widget's fetch() sends it (JsonContent would stream it chunked).
        var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(
                JsonSerializer.Serialize(new { clientMessageId = $"c{n}", text = $"这件衣服有M码吗? #{n}" }), Encoding.UTF8, "application/json"),
        };
        request.Headers.Add("X-Visitor-Token", tokens is null ? "baseline" : tokens[n % tokens.Length]);
        return request;
    };

    /// <summary>Baseline and gateway in turns; every message the gateway acknowledged must be in its store.</summary>
    public static async Task MeasureAsync(
        BenchContext context, Report report, GatewayServer gateway, string what, string figure, Load.Loop baselineLoop, Load.Loop gatewayLoop)
    {
        var (bare, ours, ratios) = await Load.InTurnsAsync(baselineLoop, gatewayLoop, context.Options);
        Report(bare);
        Report(ours);
        await CheckStoredAsync(report, gateway, what, ours.Acknowledged);
        report.AtLeast(figure, ours.PerSecond, bare.PerSecond, "msg/s", 0.6);
        report.Note($"{figure}, gateway/baseline by turn: {Load.Turns(ratios)}.");
    }

    /// <summary>Widget visitors (tokens), made before the measured run as the shop page would.</summary>
    public static async Task<string[]> VisitorsAsync(Uri gateway, int count)
    {
        using var client = Load.Client(gateway, 64);
        var tokens = new string[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, ct) =>
        {
            using var response = await client.PostAsync("/channels/webchat/visitors", null, ct);
            response.EnsureSuccessStatusCode();
            tokens[i] = (await response.Content.ReadFromJsonAsync<JsonElement>(ct)).GetProperty("visitorToken").GetString()!;
        });
        return tokens;
    }

    /// <summary>Every acknowledged message must be in the store: the figure counts only durable messages.</summary>
    public static async Task CheckStoredAsync(Report report, GatewayServer gateway, string what, long acknowledged)
    {
        await using DbConnection connection = gateway.PostgreSql is { } postgreSql
            ? new NpgsqlConnection(postgreSql)
            : new SqliteConnection($"Data Source={gateway.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM \"Messages\" WHERE \"Direction\" = 0";
        var stored = Convert.ToInt64(await command.ExecuteScalarAsync());
        report.Note($"{what}: {acknowledged:N0} messages acknowledged, {stored:N0} in the store{(stored == acknowledged ? "" : " - MISMATCH")}.");
        if (stored != acknowledged)
        {
            report.Absolute($"Ingest: {what} acknowledged = stored", $"{stored:N0} stored", $"{acknowledged:N0} acknowledged", "equal", false);
        }
    }

    private static void Report(Load.ClosedLoopResult result)
    {
        if (result.Failed > 0)
        {
            Console.WriteLine($"    {result.Failed:N0} requests failed, first: {result.FirstFailure}");
        }
    }
}

using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 1: inbound messages accepted per second, each committed to the store and queued for routing
/// before it is acknowledged: signed SMS webhooks and widget messages, against bare endpoints that bind
/// the same bodies and do one awaited Redis write. Both talk to the same kind of redis-server.
/// </summary>
internal static class IngestScenario
{
    public const int Concurrency = 128;
    public const int Customers = 10_000;

    public static async Task RunAsync(BenchContext context, Report report)
    {
        Console.WriteLine("Ingest throughput");
        var redis = await context.StartRedisAsync(appendOnly: false);
        var baseline = await context.StartBaselineAsync(redis);
        var baselineSms = await SmsAsync(context, baseline.BaseAddress, baseline.Pid, "/sms");
        var baselineWidget = await WidgetAsync(context, baseline.BaseAddress, baseline.Pid, "/widget", tokens: null);
        await context.StopAsync(baseline);
        await redis.Connection.GetDatabase().ExecuteAsync("FLUSHALL");

        var gateway = await context.StartGatewayAsync(redis, durableStore: true);
        var sms = await SmsAsync(context, gateway.BaseAddress, gateway.Pid, "/channels/sms/messages");
        await CheckStoredAsync(report, gateway, "SMS", sms.Acknowledged);
        report.AtLeast("Ingest: signed SMS webhooks", sms.PerSecond, baselineSms.PerSecond, "msg/s", 0.6);
        await context.StopAsync(gateway);
        await redis.Connection.GetDatabase().ExecuteAsync("FLUSHALL");

        gateway = await context.StartGatewayAsync(redis, durableStore: true);
        var tokens = await VisitorsAsync(gateway.BaseAddress, 2_000);
        var widget = await WidgetAsync(context, gateway.BaseAddress, gateway.Pid, "/channels/webchat/messages", tokens);
        await CheckStoredAsync(report, gateway, "widget", widget.Acknowledged);
        report.AtLeast("Ingest: widget messages", widget.PerSecond, baselineWidget.PerSecond, "msg/s", 0.6);
        await context.StopAsync(gateway);
        await context.StopAsync(redis);
    }

    public static async Task<Load.ClosedLoopResult> SmsAsync(BenchContext context, Uri baseAddress, int serverPid, string path)
    {
        using var client = Load.Client(baseAddress, Concurrency);
        var signedUrl = GatewayServer.PublicBaseUrl + "/channels/sms/messages";
        var result = await Load.ClosedLoopAsync(client, Concurrency, context.Options, serverPid,
            n => Load.SmsWebhook(path, signedUrl, Load.Phone(n, Customers), $"Hi, is order {n} shipped yet?", n));
        Report(result);
        return result;
    }

    public static async Task<Load.ClosedLoopResult> WidgetAsync(BenchContext context, Uri baseAddress, int serverPid, string path, string[]? tokens)
    {
        using var client = Load.Client(baseAddress, Concurrency);
        var result = await Load.ClosedLoopAsync(client, Concurrency, context.Options, serverPid, n =>
        {
            // A string body with its length, as the widget's fetch() sends it (JsonContent would stream it chunked).
            var request = new HttpRequestMessage(HttpMethod.Post, path)
            {
                Content = new StringContent(
                    JsonSerializer.Serialize(new { clientMessageId = $"c{n}", text = $"这件衣服有M码吗? #{n}" }), Encoding.UTF8, "application/json"),
            };
            request.Headers.Add("X-Visitor-Token", tokens is null ? "baseline" : tokens[n % tokens.Length]);
            return request;
        });
        Report(result);
        return result;
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
        await using var connection = new SqliteConnection($"Data Source={gateway.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT COUNT(*) FROM Messages WHERE Direction = 0";
        var stored = (long)(await command.ExecuteScalarAsync())!;
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

using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 2: from the moment a webhook is due to be sent to the moment the agent's live connection has
/// the message, at fixed rates (open loop). Baseline: HTTP POST -> Redis PUBLISH -> one WebSocket.
/// </summary>
internal static class LatencyScenario
{
    private const int Customers = 80; // all assigned to one agent (capacity 100), so every message goes live to them

    /// <summary>Warm-up messages' ids start here, apart from the measured ones.</summary>
    private const long WarmUpIds = 1L << 30;

    public static async Task RunAsync(BenchContext context, Report report)
    {
        Console.WriteLine("End-to-end latency");
        var redis = await context.StartRedisAsync(appendOnly: false);
        var gateway = await context.StartGatewayAsync(redis, durableStore: true, new Dictionary<string, string> { ["Agents__Seed__0__MaxConcurrent"] = "100" });
        var baseline = await context.StartBaselineAsync(redis);
        foreach (var rate in new[] { 1_000, 5_000 })
        {
            var theirs = await BaselineAsync(context, baseline.BaseAddress, baseline.Pid, rate);
            var ours = await GatewayAsync(context, gateway.BaseAddress, gateway.Pid, rate);
            report.Note($"{rate:N0} msg/s: gateway p50 {ours.P50:0.0} ms, p99 {ours.P99:0.0} ms, max {ours.Max:0.0} ms, {ours.Lost} lost; baseline p50 {theirs.P50:0.0} ms, p99 {theirs.P99:0.0} ms, max {theirs.Max:0.0} ms, {theirs.Lost} lost.");
            report.AtMost($"Latency p99 webhook -> agent at {rate:N0}/s", ours.P99, theirs.P99, "ms", 3);
        }

        await context.StopAsync(baseline);
        await context.StopAsync(gateway);
        await context.StopAsync(redis);
    }

    private sealed record Latencies(double P50, double P99, double Max, int Lost);

    private static async Task<Latencies> GatewayAsync(BenchContext context, Uri baseAddress, int pid, int rate)
    {
        var cookies = new CookieContainer();
        using var http = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies }) { BaseAddress = baseAddress };
        (await http.PostAsJsonAsync("/api/auth/login", new { userName = "alice", password = "demo-password" })).EnsureSuccessStatusCode();
        var received = new long[(int)(rate * context.Options.Measure.TotalSeconds)];
        var assigned = 0;
        var hub = new HubConnectionBuilder().WithUrl(new Uri(baseAddress, "/hubs/agent"), o => o.Cookies = cookies).Build();
        hub.On<JsonElement>("conversationAssigned", _ => Interlocked.Increment(ref assigned));
        hub.On<Guid, JsonElement>("messageAdded", (_, message) => Record(received, message.GetProperty("text").GetString()));
        await hub.StartAsync();
        (await http.PutAsJsonAsync("/api/agents/me/presence", new { presence = "online" })).EnsureSuccessStatusCode();

        // Warm-up: each customer writes once, so every later message joins a conversation the agent has.
        using var client = Load.Client(baseAddress, 1024);
        var signedUrl = GatewayServer.PublicBaseUrl + "/channels/sms/messages";
        var run = $"{rate}-{Guid.NewGuid():N}"[..12];
        await Parallel.ForAsync(0, Customers, async (i, _) =>
            (await client.SendAsync(Load.SmsWebhook("/channels/sms/messages", signedUrl, Load.Phone(i, Customers), "hello", Hash(run, -i - 1)))).EnsureSuccessStatusCode());
        var until = Stopwatch.StartNew();
        while (Volatile.Read(ref assigned) < Customers && until.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        // The same load, untimed, until the gateway is steady (its messages, "w…", are not recorded).
        await Load.OpenLoopWarmUpAsync(rate, new WarmUp(pid, context.Options), async i =>
        {
            using var response = await client.SendAsync(Load.SmsWebhook("/channels/sms/messages", signedUrl, Load.Phone(i, Customers), $"w{i}", Hash(run, WarmUpIds + i)));
        });

        var intended = await Load.OpenLoopAsync(rate, context.Options.Measure, async i =>
        {
            using var response = await client.SendAsync(Load.SmsWebhook("/channels/sms/messages", signedUrl, Load.Phone(i, Customers), $"m{i}", Hash(run, i)));
        });
        var result = await CollectAsync(intended, received);
        await hub.DisposeAsync();
        return result;
    }

    private static async Task<Latencies> BaselineAsync(BenchContext context, Uri baseAddress, int pid, int rate)
    {
        var received = new long[(int)(rate * context.Options.Measure.TotalSeconds)];
        using var socket = new ClientWebSocket();
        await socket.ConnectAsync(new Uri($"ws://{baseAddress.Authority}/ws"), CancellationToken.None);
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[256];
            while (socket.State == WebSocketState.Open)
            {
                var frame = await socket.ReceiveAsync(buffer, CancellationToken.None);
                if (frame.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                Record(received, Encoding.UTF8.GetString(buffer, 0, frame.Count));
            }
        });

        using var client = Load.Client(baseAddress, 1024);
        await Load.OpenLoopWarmUpAsync(rate, new WarmUp(pid, context.Options), async i =>
        {
            using var response = await client.PostAsync("/live", new FormUrlEncodedContent([new("Body", $"w{i}")]));
        });
        var intended = await Load.OpenLoopAsync(rate, context.Options.Measure, async i =>
        {
            using var response = await client.PostAsync("/live", new FormUrlEncodedContent([new("Body", $"m{i}")]));
        });
        var result = await CollectAsync(intended, received);
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
        await reader;
        return result;
    }

    private static void Record(long[] received, string? text)
    {
        if (text is ['m', .. var rest] && int.TryParse(rest, out var i) && i < received.Length)
        {
            Interlocked.CompareExchange(ref received[i], Stopwatch.GetTimestamp(), 0);
        }
    }

    /// <summary>Waits for stragglers (up to 10 s after the last send), then the latencies of what arrived; the rest is lost.</summary>
    private static async Task<Latencies> CollectAsync(long[] intended, long[] received)
    {
        var wait = Stopwatch.StartNew();
        while (received.Any(r => r == 0) && wait.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(100);
        }

        var latencies = intended.Zip(received).Where(p => p.Second != 0).Select(p => Stopwatch.GetElapsedTime(p.First, p.Second).TotalMilliseconds).Order().ToArray();
        return new Latencies(Load.Percentile(latencies, 50), Load.Percentile(latencies, 99), latencies.Length == 0 ? double.NaN : latencies[^1], received.Count(r => r == 0));
    }

    private static long Hash(string run, long i) => (long)(uint)run.GetHashCode() << 32 ^ i;
}

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
        Console.WriteLine("End-to-end latency (baseline and gateway measured in turns)");
        var redis = await context.StartRedisAsync(appendOnly: false);
        var gateway = await context.StartGatewayAsync(redis, durableStore: true, new Dictionary<string, string> { ["Agents__Seed__0__MaxConcurrent"] = "100" });
        var baseline = await context.StartBaselineAsync(redis);
        foreach (var rate in new[] { 1_000, 5_000 })
        {
            await using var theirs = await BaselineAsync(context, baseline.BaseAddress, baseline.Pid, rate);
            await using var ours = await GatewayAsync(context, gateway.BaseAddress, gateway.Pid, rate);
            await InTurnsAsync(context, theirs, ours);
            var (b, g) = (await theirs.CollectAsync(), await ours.CollectAsync());
            report.Note($"{rate:N0} msg/s: gateway p50 {g.P50:0.0} ms, p99 {g.P99:0.0} ms, max {g.Max:0.0} ms, {g.Lost} lost; baseline p50 {b.P50:0.0} ms, p99 {b.P99:0.0} ms, max {b.Max:0.0} ms, {b.Lost} lost.");
            report.AtMost($"Latency p99 webhook -> agent at {rate:N0}/s", g.P99, b.P99, "ms", 3);
        }

        await context.StopAsync(baseline);
        await context.StopAsync(gateway);
        await context.StopAsync(redis);
    }

    /// <summary>
    /// Both pipelines are warmed up (each by <see cref="Live.WarmUpAsync"/>); each then runs one uncounted
    /// second, and they take four turns of <see cref="BenchOptions.Measure"/> / 4 each at the rate, so a
    /// hiccup of the shared machine (a stall of tens of milliseconds moves a p99 of 12,000 messages) falls
    /// on both alike instead of on whichever ran at that moment.
    /// </summary>
    private static async Task InTurnsAsync(BenchContext context, Live baseline, Live gateway)
    {
        await baseline.WarmUpAsync();
        await gateway.WarmUpAsync();
        await baseline.UncountedAsync(TimeSpan.FromSeconds(1));
        await gateway.UncountedAsync(TimeSpan.FromSeconds(1));
        const int Turns = 4;
        for (var i = 0; i < Turns; i++)
        {
            await baseline.TurnAsync(context.Options.Measure / Turns);
            await gateway.TurnAsync(context.Options.Measure / Turns);
        }
    }

    private sealed record Latencies(double P50, double P99, double Max, int Lost);

    /// <summary>
    /// One pipeline at one rate: sends message <c>i</c> as "m{i}" (warm-up ones as "w…", uncounted ones as "u…") and
    /// records when its receiver got each; the measured turns number their messages on from turn to turn.
    /// </summary>
    private sealed class Live(int rate, int pid, BenchOptions options, Func<string, long, Task> send, Func<ValueTask> close) : IAsyncDisposable
    {
        private readonly long[] _intended = new long[(int)(rate * options.Measure.TotalSeconds)];
        private int _sent;
        private int _uncounted;

        public long[] Received { get; } = new long[(int)(rate * options.Measure.TotalSeconds)];

        public Task WarmUpAsync() => Load.OpenLoopWarmUpAsync(rate, new WarmUp(pid, options), i => send($"w{i}", WarmUpIds + i));

        public async Task UncountedAsync(TimeSpan time)
        {
            var from = _uncounted;
            await Load.OpenLoopAsync(rate, time, i => send($"u{from + i}", 2 * WarmUpIds + from + i));
            _uncounted += (int)(rate * time.TotalSeconds);
        }

        public async Task TurnAsync(TimeSpan time)
        {
            var from = _sent;
            var intended = await Load.OpenLoopAsync(rate, time, i => from + i < _intended.Length ? send($"m{from + i}", from + i) : Task.CompletedTask);
            Array.Copy(intended, 0, _intended, from, Math.Min(intended.Length, _intended.Length - from));
            _sent += intended.Length;
        }

        /// <summary>Waits for stragglers (up to 10 s after the last send), then the latencies of what arrived; the rest is lost.</summary>
        public async Task<Latencies> CollectAsync()
        {
            var wait = Stopwatch.StartNew();
            while (Received.Take(_sent).Any(r => r == 0) && wait.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(100);
            }

            var latencies = _intended.Zip(Received).Take(_sent).Where(p => p.Second != 0).Select(p => Stopwatch.GetElapsedTime(p.First, p.Second).TotalMilliseconds).Order().ToArray();
            return new Latencies(Load.Percentile(latencies, 50), Load.Percentile(latencies, 99), latencies.Length == 0 ? double.NaN : latencies[^1], Received.Take(_sent).Count(r => r == 0));
        }

        public ValueTask DisposeAsync() => close();
    }

    private static async Task<Live> GatewayAsync(BenchContext context, Uri baseAddress, int pid, int rate)
    {
        var cookies = new CookieContainer();
        var http = new HttpClient(new SocketsHttpHandler { CookieContainer = cookies }) { BaseAddress = baseAddress };
        (await http.PostAsJsonAsync("/api/auth/login", new { userName = "alice", password = GatewayServer.AgentPassword })).EnsureSuccessStatusCode();
        Live? live = null;
        var assigned = 0;
        var hub = new HubConnectionBuilder().WithUrl(new Uri(baseAddress, "/hubs/agent"), o => o.Cookies = cookies).Build();
        hub.On<JsonElement>("conversationAssigned", _ => Interlocked.Increment(ref assigned));
        hub.On<Guid, JsonElement>("messageAdded", (_, message) =>
        {
            if (live is { } measuring)
            {
                Record(measuring.Received, message.GetProperty("text").GetString());
            }
        });
        await hub.StartAsync();
        (await http.PutAsJsonAsync("/api/agents/me/presence", new { presence = "online" })).EnsureSuccessStatusCode();

        // Each customer writes once first, so every later message joins a conversation the agent has.
        var client = Load.Client(baseAddress, 1024);
        var signedUrl = GatewayServer.PublicBaseUrl + "/channels/sms/messages";
        var run = $"{rate}-{Guid.NewGuid():N}"[..12];
        await Parallel.ForAsync(0, Customers, async (i, _) =>
            (await client.SendAsync(Load.SmsWebhook("/channels/sms/messages", signedUrl, Load.Phone(i, Customers), "hello", Hash(run, -i - 1)))).EnsureSuccessStatusCode());
        var until = Stopwatch.StartNew();
        while (Volatile.Read(ref assigned) < Customers && until.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(50);
        }

        live = new Live(rate, pid, context.Options,
            async (text, id) =>
            {
                using var response = await client.SendAsync(Load.SmsWebhook("/channels/sms/messages", signedUrl, Load.Phone(id, Customers), text, Hash(run, id)));
            },
            async () =>
            {
                await hub.DisposeAsync();
                client.Dispose();
                http.Dispose();
            });
        return live;
    }

    private static async Task<Live> BaselineAsync(BenchContext context, Uri baseAddress, int pid, int rate)
    {
        Live? live = null;
        var socket = new ClientWebSocket();
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

                if (live is { } measuring)
                {
                    Record(measuring.Received, Encoding.UTF8.GetString(buffer, 0, frame.Count));
                }
            }
        });

        var client = Load.Client(baseAddress, 1024);
        live = new Live(rate, pid, context.Options,
            async (text, _) =>
            {
                using var response = await client.PostAsync("/live", new FormUrlEncodedContent([new("Body", text)]));
            },
            async () =>
            {
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                await reader;
                socket.Dispose();
                client.Dispose();
            });
        return live;
    }

    private static void Record(long[] received, string? text)
    {
        if (text is ['m', .. var rest] && int.TryParse(rest, out var i) && i < received.Length)
        {
            Interlocked.CompareExchange(ref received[i], Stopwatch.GetTimestamp(), 0);
        }
    }

    private static long Hash(string run, long i) => (long)(uint)run.GetHashCode() << 32 ^ i;
}

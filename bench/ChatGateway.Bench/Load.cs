using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace ChatGateway.Bench;

/// <summary>Load generators: closed-loop for throughput, open-loop (fixed rate) for latency.</summary>
internal static class Load
{
    public static HttpClient Client(Uri baseAddress, int connections) =>
        new(new SocketsHttpHandler { MaxConnectionsPerServer = connections, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(60),
        };

    public sealed record ClosedLoopResult(double PerSecond, long Acknowledged, long Failed, string? FirstFailure);

    /// <summary>
    /// Measures two servers in turns instead of one after the other: each is warmed up on its own (see
    /// <see cref="WarmUp"/>) and runs one uncounted turn, then their closed loops take turns of
    /// <see cref="BenchOptions.Measure"/> / <paramref name="turns"/> each (after a second's ramp that is not counted), so that a machine that
    /// slows down or speeds up during the run (shared 2-core machines do, by 15-25%) weighs on both alike.
    /// Each rate is the answers counted in all of its turns over the time of those turns.
    /// </summary>
    public static async Task<(ClosedLoopResult Baseline, ClosedLoopResult Gateway, double[] TurnRatios)> InTurnsAsync(
        Loop baseline, Loop gateway, BenchOptions options, int turns = 4)
    {
        foreach (var loop in new[] { baseline, gateway })
        {
            var warmedUp = await loop.RunAsync(() => new WarmUp(loop.ServerPid, options).WaitAsync());
            Console.WriteLine($"    {loop.Name}: warmed up {warmedUp.TotalSeconds:0} s");
        }

        // One uncounted turn each first: the server warmed up first has sat idle through the other's warm-up.
        var turn = options.Measure / turns;
        foreach (var loop in new[] { baseline, gateway })
        {
            await loop.RunAsync(async () =>
            {
                await Task.Delay(turn);
                return 0;
            });
        }

        var ratios = new double[turns];
        for (var i = 0; i < turns; i++)
        {
            var rates = new double[2];
            foreach (var (loop, at) in new[] { (baseline, 0), (gateway, 1) })
            {
                rates[at] = await loop.RunAsync(async () =>
                {
                    await Task.Delay(TimeSpan.FromSeconds(1));
                    return await loop.CountAsync(turn);
                });
            }

            ratios[i] = rates[0] > 0 ? rates[1] / rates[0] : 0;
        }

        Console.WriteLine($"    measured {turns} turns of {turn.TotalSeconds:0.#} s each; {gateway.Name} / {baseline.Name} by turn: {Turns(ratios)}");
        return (baseline.Result(), gateway.Result(), ratios);
    }

    /// <summary>Ratios by turn, as printed.</summary>
    public static string Turns(double[] ratios) => string.Join(" ", ratios.Select(r => r.ToString("0.00")));

    /// <summary>
    /// A closed loop against one server that can be run, stopped and run again: its request numbers go on
    /// from run to run (a provider message id is never sent twice), and its counts add up.
    /// </summary>
    public sealed class Loop(string name, HttpClient client, int concurrency, int serverPid, Func<long, HttpRequestMessage> request)
    {
        private long _sequence, _acknowledged, _failed, _counted;
        private int _counting;
        private TimeSpan _countedFor;
        private string? _firstFailure;

        public string Name => name;

        public int ServerPid => serverPid;

        /// <summary>Runs <paramref name="concurrency"/> workers back to back while <paramref name="during"/> runs.</summary>
        public async Task<T> RunAsync<T>(Func<Task<T>> during)
        {
            var running = 1;
            async Task WorkerAsync()
            {
                while (Volatile.Read(ref running) == 1)
                {
                    using var message = request(Interlocked.Increment(ref _sequence));
                    try
                    {
                        using var response = await client.SendAsync(message);
                        if (response.IsSuccessStatusCode)
                        {
                            Interlocked.Increment(ref _acknowledged);
                            if (Volatile.Read(ref _counting) == 1)
                            {
                                Interlocked.Increment(ref _counted);
                            }
                        }
                        else
                        {
                            Interlocked.Increment(ref _failed);
                            _firstFailure ??= $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                        }
                    }
                    catch (HttpRequestException ex)
                    {
                        Interlocked.Increment(ref _failed);
                        _firstFailure ??= ex.Message;
                    }
                }
            }

            var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(WorkerAsync)).ToList();
            try
            {
                return await during();
            }
            finally
            {
                Volatile.Write(ref running, 0);
                await Task.WhenAll(workers);
            }
        }

        /// <summary>Counts the 2xx answers completed within the next <paramref name="time"/>; returns their rate.</summary>
        public async Task<double> CountAsync(TimeSpan time)
        {
            var before = Interlocked.Read(ref _counted);
            var clock = Stopwatch.StartNew();
            Volatile.Write(ref _counting, 1);
            await Task.Delay(time);
            Volatile.Write(ref _counting, 0);
            var elapsed = clock.Elapsed;
            var counted = Interlocked.Read(ref _counted) - before;
            _countedFor += elapsed;
            return counted / elapsed.TotalSeconds;
        }

        /// <summary>The rate over every counted turn; every 2xx of every run is in Acknowledged (to check against the store).</summary>
        public ClosedLoopResult Result() =>
            new(_countedFor > TimeSpan.Zero ? _counted / _countedFor.TotalSeconds : 0, _acknowledged, _failed, _firstFailure);
    }

    /// <summary>
    /// Sends at a fixed rate whatever the answers do (open loop): message <c>i</c> is due at
    /// <c>start + i / rate</c>, and its latency is measured from that intended moment, so a server that
    /// falls behind shows it in the figures instead of slowing the load down (no coordinated omission).
    /// Returns the intended send times (<see cref="Stopwatch"/> ticks), indexed by message number.
    /// </summary>
    public static async Task<long[]> OpenLoopAsync(int rate, TimeSpan duration, Func<int, Task> send)
    {
        var count = (int)(rate * duration.TotalSeconds);
        var intended = new long[count];
        var inFlight = new List<Task>(count);
        var start = Stopwatch.GetTimestamp();
        var next = 0;
        while (next < count)
        {
            var elapsed = Stopwatch.GetElapsedTime(start);
            var due = Math.Min(count, (int)(elapsed.TotalSeconds * rate) + 1);
            for (; next < due; next++)
            {
                intended[next] = start + (long)(next * (double)Stopwatch.Frequency / rate);
                inFlight.Add(send(next));
            }

            await Task.Delay(1);
        }

        await Task.WhenAll(inFlight);
        return intended;
    }

    /// <summary>
    /// Sends at <paramref name="rate"/> in one-second open-loop rounds until <paramref name="warmUp"/> says the
    /// server is steady; <paramref name="send"/> gets a running message number.
    /// </summary>
    public static async Task OpenLoopWarmUpAsync(int rate, WarmUp warmUp, Func<int, Task> send)
    {
        var done = warmUp.WaitAsync();
        var sent = 0;
        while (!done.IsCompleted)
        {
            var from = sent;
            await OpenLoopAsync(rate, TimeSpan.FromSeconds(1), i => send(from + i));
            sent += rate;
        }

        var took = await done;
        Console.WriteLine($"    warmed up {took.TotalSeconds:0} s at {rate:N0}/s");
    }

    /// <summary>p-th percentile (0-100) of sorted values.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    /// <summary>A Twilio inbound-message webhook, signed as Twilio signs it for the gateway's public URL.</summary>
    public static HttpRequestMessage SmsWebhook(string path, string signedUrl, string from, string body, long sequence)
    {
        var fields = new List<KeyValuePair<string, string>>
        {
            new("AccountSid", GatewayServer.AccountSid),
            new("Body", body),
            new("From", from),
            new("MessageSid", Sid(sequence)),
            new("NumMedia", "0"),
            new("To", "+15005550006"),
        };
        var payload = new StringBuilder(signedUrl);
        foreach (var (key, value) in fields)
        {
            payload.Append(key).Append(value); // already sorted by name
        }

        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent(fields), Version = HttpVersion.Version11 };
        request.Headers.Add("X-Twilio-Signature", Convert.ToBase64String(HMACSHA1.HashData(Encoding.UTF8.GetBytes(GatewayServer.AuthToken), Encoding.UTF8.GetBytes(payload.ToString()))));
        return request;
    }

    /// <summary>
    /// A message SID as Twilio makes them: "SM" and 32 random-looking hex digits (a hash of the sequence,
    /// so each is unique). Sequential SIDs would put every dedupe key at the end of its index, which real
    /// traffic never does.
    /// </summary>
    public static string Sid(long sequence) =>
        "SM" + Convert.ToHexStringLower(SHA256.HashData(BitConverter.GetBytes(sequence)).AsSpan(0, 16));

    /// <summary>One of <paramref name="customers"/> phone numbers, so conversations are reused as in a shop.</summary>
    public static string Phone(long n, int customers) => $"+1555{n % customers:D7}";
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Follow-ups: 100,000 of them planned from signed order events (each <c>order.delivered</c> plans its delivery
/// check-in), due one after the other at 1,000 per second, fired by the gateway's Quartz scheduler on its embedded
/// store and sent over SMS to a Twilio-shaped server in this process. Figures: the time to plan them (events posted
/// to triggers in the job store), lateness from due time to the message reaching the provider (p50/p99, target p99
/// under 1 s), messages sent twice (target 0), and the gateway's memory. No baseline: the targets are absolute.
/// </summary>
internal static class FollowUpsScenario
{
    private static readonly TimeSpan CheckInDelay = TimeSpan.FromHours(2);

    public static async Task RunAsync(BenchContext context, Report report)
    {
        var count = context.Options.Quick ? 20_000 : 100_000;
        const int Rate = 1_000;
        Console.WriteLine($"Follow-ups ({count:N0} planned from order events, due at {Rate:N0}/s)");

        await using var provider = await ProviderAsync(count);
        var redis = await context.StartRedisAsync(appendOnly: false);
        var gateway = await context.StartGatewayAsync(redis, durableStore: true, new Dictionary<string, string>
        {
            // Every hour of the day is open, so the figure does not depend on when it runs; one rule, one text: the order id.
            ["FollowUps__QuietHours"] = "00:00-00:00",
            ["FollowUps__DefaultLanguage"] = "en",
            ["FollowUps__Rules__delivery-check-in__Delay"] = CheckInDelay.ToString("c", CultureInfo.InvariantCulture),
            ["FollowUps__Rules__delivery-check-in__Templates__en"] = "{order}",
            ["FollowUps__Rules__delivery-check-in__Templates__zh"] = "{order}",
            ["FollowUps__Rules__review-request__Enabled"] = "false",
            ["FollowUps__Rules__return-visit__Enabled"] = "false",
            // Sends in flight at once: the default 8 carries a shop's replies; a thousand messages a second to a provider
            // a millisecond away need more (the README's Delivery:Concurrency).
            ["Delivery__Concurrency"] = "32",
        }, smsApi: provider.BaseAddress, orders: true);

        using var client = Load.Client(gateway.BaseAddress, 64);

        // A first round, due hours later, warms the gateway up and tells the rate it plans at, so the measured ones are
        // all planned before the first of them is due.
        var warmUp = Math.Min(2_000, count / 10);
        var warmUpClock = Stopwatch.StartNew();
        await PostAsync(client, "w", warmUp, i => DateTimeOffset.UtcNow);
        var warmRate = warmUp / warmUpClock.Elapsed.TotalSeconds;
        var lead = TimeSpan.FromSeconds(count / warmRate * 1.5 + 20);
        var firstDue = DateTimeOffset.UtcNow + lead;
        Console.WriteLine($"    warm-up: {warmUp:N0} events at {warmRate:N0}/s; the first measured follow-up is due in {lead.TotalSeconds:0} s");

        DateTimeOffset Due(int i) => firstDue + TimeSpan.FromMilliseconds(i * 1000.0 / Rate);
        var planClock = Stopwatch.StartNew();
        await PostAsync(client, "m", count, i => Due(i) - CheckInDelay);
        var posted = planClock.Elapsed;
        // An event is acknowledged once its follow-up is committed and its second has a trigger: planned when all are.
        var (plannedRows, triggers) = await PlannedAsync(gateway);
        var planned = planClock.Elapsed;
        report.Note($"planned: {count:N0} order events posted and acknowledged in {posted.TotalSeconds:0.0} s ({count / posted.TotalSeconds:N0}/s); {plannedRows:N0} follow-ups planned in the store (warm-up's included), {triggers:N0} per-second triggers in the job store.");
        if (plannedRows < count + warmUp)
        {
            report.Absolute("Follow-ups: planned = events", $"{plannedRows:N0}", $"{count + warmUp:N0}", "equal", false);
        }

        report.Absolute("Follow-ups: time to plan 100,000", $"{planned.TotalSeconds:0.0} s", "-", "report", null);
        if (DateTimeOffset.UtcNow > firstDue)
        {
            report.Note("planning outlasted the lead: the first follow-ups were late before they could fire.");
        }

        // Fire: all due within count / Rate seconds; wait for the last, then for stragglers.
        var lastDue = Due(count - 1);
        var peak = 0L;
        while (DateTimeOffset.UtcNow < lastDue + TimeSpan.FromSeconds(60) && provider.Received < count)
        {
            peak = Math.Max(peak, Machine.ResidentBytes(gateway.Pid));
            await Task.Delay(500);
        }

        var lateness = new List<double>(count);
        var missing = 0;
        for (var i = 0; i < count; i++)
        {
            if (provider.FirstAt(i) is { } at)
            {
                lateness.Add((at - Due(i)).TotalMilliseconds);
            }
            else
            {
                missing++;
            }
        }

        // Where the late ones were: the due seconds with the latest sends (a stall shows as a run of seconds).
        var worst = Enumerable.Range(0, count)
            .Where(i => provider.FirstAt(i) is not null)
            .GroupBy(i => i / Rate)
            .Select(g => (Second: g.Key, Max: g.Max(i => (provider.FirstAt(i)!.Value - Due(i)).TotalMilliseconds)))
            .OrderByDescending(x => x.Max)
            .Take(5)
            .ToList();
        report.Note("latest by due second: " + string.Join(", ", worst.Select(w => $"{w.Second} s: {w.Max:0} ms")));

        var sorted = lateness.Order().ToArray();
        var (p50, p99, max) = (Load.Percentile(sorted, 50), Load.Percentile(sorted, 99), sorted.Length == 0 ? double.NaN : sorted[^1]);
        var stored = await StoredAsync(gateway);
        report.Note($"fired: {sorted.Length:N0} of {count:N0} reached the provider ({missing:N0} not within 60 s of the last due time); lateness due -> provider p50 {p50:0} ms, p99 {p99:0} ms, max {max:0} ms; store: {stored.Sent:N0} sent, {stored.Skipped:N0} skipped{stored.FirstReason}, {stored.Planned:N0} planned; fired -> stored lateness p50 {stored.P50:0} ms, p99 {stored.P99:0} ms.");
        report.Absolute("Follow-ups: lateness p99 at 1,000/s", $"{p99:0} ms", "-", "< 1000 ms", missing == 0 && p99 < 1000);
        report.Absolute("Follow-ups: sent twice", $"{provider.Duplicates:N0}", "-", "0", provider.Duplicates == 0);
        report.Absolute("Follow-ups: gateway memory (peak RSS)", $"{peak / 1024 / 1024:N0} MiB", "-", "report", null);

        await context.StopAsync(gateway);
        await context.StopAsync(redis);
    }

    /// <summary>Posts <paramref name="count"/> signed <c>order.delivered</c> events (orders "{prefix}{i}", one new buyer each), 64 at a time.</summary>
    private static async Task PostAsync(HttpClient client, string prefix, int count, Func<int, DateTimeOffset> deliveredAt)
    {
        var secret = Convert.FromBase64String(GatewayServer.OrdersSecret["whsec_".Length..]);
        var failures = 0;
        string? firstFailure = null;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            var body = JsonSerializer.Serialize(new
            {
                type = "order.delivered",
                data = new
                {
                    orderId = prefix + i.ToString(CultureInfo.InvariantCulture),
                    occurredAt = deliveredAt(i).ToString("yyyy-MM-dd'T'HH:mm:ss.fffzzz", CultureInfo.InvariantCulture),
                    buyer = new { phone = $"+1{(prefix == "w" ? 666 : 555)}{i:D7}", name = "Bench Buyer" },
                    items = new[] { new { title = "Scarf", quantity = 1, price = "199.00" } },
                    amount = "199.00",
                    currency = "CNY",
                },
            });
            var id = $"msg_{prefix}{i}";
            var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
            var signature = Convert.ToBase64String(HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}")));
            using var request = new HttpRequestMessage(HttpMethod.Post, "/channels/orders/events")
            {
                Content = new StringContent(body, Encoding.UTF8, "application/json"),
                Version = HttpVersion.Version11,
            };
            request.Headers.Add("webhook-id", id);
            request.Headers.Add("webhook-timestamp", timestamp);
            request.Headers.Add("webhook-signature", "v1," + signature);
            using var response = await client.SendAsync(request);
            if (!response.IsSuccessStatusCode)
            {
                Interlocked.Increment(ref failures);
                firstFailure ??= $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
            }
        });
        if (failures > 0)
        {
            throw new InvalidOperationException($"{failures:N0} order events were refused, the first: {firstFailure}");
        }
    }

    private static async Task<(long Planned, long Triggers)> PlannedAsync(GatewayServer gateway)
    {
        await using var connection = new SqliteConnection($"Data Source={gateway.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT COUNT(*) FROM FollowUps WHERE Status = 0), (SELECT COUNT(*) FROM QRTZ_TRIGGERS WHERE TRIGGER_NAME LIKE 'due-%')";
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return (reader.GetInt64(0), reader.GetInt64(1));
    }

    private sealed record Stored(long Sent, long Skipped, long Planned, string FirstReason, double P50, double P99);

    /// <summary>The follow-ups as the store has them, and how late each sent one was recorded as fired.</summary>
    private static async Task<Stored> StoredAsync(GatewayServer gateway)
    {
        await using var connection = new SqliteConnection($"Data Source={gateway.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT Status, DueAt, DoneAt, Reason FROM FollowUps";
        long sent = 0, skipped = 0, planned = 0;
        string? reason = null;
        var lateness = new List<double>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            switch (reader.GetInt32(0))
            {
                case 0:
                    planned++;
                    break;
                case 1:
                    sent++;
                    lateness.Add((Time(reader.GetInt64(2)) - Time(reader.GetInt64(1))).TotalMilliseconds);
                    break;
                default:
                    skipped++;
                    reason ??= reader.IsDBNull(3) ? null : reader.GetString(3);
                    break;
            }
        }

        var sorted = lateness.Order().ToArray();
        return new Stored(sent, skipped, planned, reason is null ? "" : $" (first: {reason})", Load.Percentile(sorted, 50), Load.Percentile(sorted, 99));
    }

    /// <summary>The store keeps times as EF Core's sortable binary form of a <see cref="DateTimeOffset"/>.</summary>
    private static DateTimeOffset Time(long stored) => (DateTimeOffset)Converter.ConvertFromProvider(stored)!;

    private static readonly Microsoft.EntityFrameworkCore.Storage.ValueConversion.DateTimeOffsetToBinaryConverter Converter = new();

    /// <summary>A Twilio-shaped Messages API that records when each order's message first arrived, and how many came twice.</summary>
    private static async Task<Provider> ProviderAsync(int count)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var provider = new Provider(app, count);
        app.MapPost("/2010-04-01/Accounts/{sid}/Messages.json", provider.HandleAsync);
        await app.StartAsync();
        provider.BaseAddress = new Uri(app.Urls.First() + "/");
        return provider;
    }

    private sealed class Provider(WebApplication app, int count) : IAsyncDisposable
    {
        private readonly long[] _first = new long[count];
        private readonly DateTimeOffset _origin = DateTimeOffset.UtcNow;
        private readonly long _originTicks = Stopwatch.GetTimestamp();
        private readonly ConcurrentDictionary<string, byte> _bodies = new();
        private long _received, _duplicates;

        public Uri BaseAddress { get; set; } = null!;

        public long Received => Interlocked.Read(ref _received);

        public long Duplicates => Interlocked.Read(ref _duplicates);

        public DateTimeOffset? FirstAt(int i) => _first[i] == 0 ? null : _origin + Stopwatch.GetElapsedTime(_originTicks, _first[i]);

        public async Task HandleAsync(HttpContext context)
        {
            var now = Stopwatch.GetTimestamp();
            var form = await context.Request.ReadFormAsync();
            var body = form["Body"].ToString();
            if (!_bodies.TryAdd(body, 0))
            {
                Interlocked.Increment(ref _duplicates);
            }
            else if (body is ['m', .. var rest] && int.TryParse(rest, CultureInfo.InvariantCulture, out var i) && i < _first.Length)
            {
                _first[i] = now;
                Interlocked.Increment(ref _received);
            }

            context.Response.StatusCode = StatusCodes.Status201Created;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync($$"""{"sid":"SM{{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16))}}","status":"queued","to":"{{form["To"]}}"}""");
        }

        public async ValueTask DisposeAsync()
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }
}

using System.Collections.Concurrent;
using System.Diagnostics;
using ChatGateway.Gateway.Redis;
using ChatGateway.Gateway.Routing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ChatGateway.Bench.Scenarios;

/// <summary>
/// Figure 3: routing without HTTP. 200 agents over 6 skills (two each, capacity 5) drain a deep backlog
/// through the gateway's own Lua scripts on a real redis-server: agents come online and pull work, and
/// every release pulls the next conversation. Redis calls and commands per routed conversation come
/// from <c>INFO commandstats</c>. Baseline: the same backlog taken with plain ZPOPMIN + HSET calls.
/// </summary>
internal static class RoutingScenario
{
    private const int Agents = 200;
    private const int Skills = 6;
    private const int Capacity = 5;
    private const int Workers = 64;

    public static async Task RunAsync(BenchContext context, Report report)
    {
        Console.WriteLine("Routing");
        var backlog = context.Options.Quick ? 10_000 : 40_000;
        var redis = await context.StartRedisAsync(appendOnly: false);
        var baseline = await BaselineAsync(redis, backlog);
        await redis.Connection.GetDatabase().ExecuteAsync("FLUSHALL");

        await using var connection = new RedisConnection(Options.Create(new RedisOptions { ConnectionString = redis.ConnectionString, KeyPrefix = "r:" }), NullLoggerFactory.Instance);
        var store = new RedisRoutingStore(connection);
        var conversations = Enumerable.Range(0, backlog).Select(_ => Guid.NewGuid()).ToArray();
        await store.EnqueueAsync(Guid.NewGuid(), "warm-up", 0, null); // loads the scripts before the counts start
        await redis.ResetStatsAsync();

        await Parallel.ForAsync(0, backlog, new ParallelOptions { MaxDegreeOfParallelism = Workers }, async (i, _) =>
            await store.EnqueueAsync(conversations[i], $"s{i % Skills}", i, null, "sms"));

        var clock = Stopwatch.StartNew();
        var assigned = new ConcurrentQueue<Guid>();
        var total = 0;
        await Parallel.ForAsync(0, Agents, new ParallelOptions { MaxDegreeOfParallelism = Workers }, async (a, _) =>
        {
            var agent = new Guid(a + 1, 0, 0, new byte[8]);
            foreach (var assignment in await store.SetPresenceAsync(agent, "online", Capacity, [$"s{a % Skills}", $"s{(a + 1) % Skills}"]))
            {
                assigned.Enqueue(assignment.ConversationId);
                Interlocked.Increment(ref total);
            }
        });

        // Agents close conversations as fast as Redis lets them; each close pulls the next waiting one.
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(_ => Task.Run(async () =>
        {
            while (assigned.TryDequeue(out var conversation))
            {
                foreach (var assignment in await store.ReleaseAsync(conversation))
                {
                    assigned.Enqueue(assignment.ConversationId);
                    Interlocked.Increment(ref total);
                }
            }
        })));
        clock.Stop();

        var stats = await redis.CommandStatsAsync();
        var calls = stats.Where(s => s.Key is "evalsha" or "eval").Sum(s => s.Value);
        var commands = stats.Where(s => s.Key is not ("config" or "info")).Sum(s => s.Value) - calls;
        var perSecond = total / clock.Elapsed.TotalSeconds;
        await context.StopAsync(redis);

        report.Note($"Routing: {total:N0} of {backlog:N0} conversations assigned in {clock.Elapsed.TotalSeconds:0.0} s by {Agents} agents over {Skills} skills; {calls:N0} script calls, {commands:N0} commands inside them (enqueue, presence, release and assignment).");
        report.Compared("Routing: assignments (Lua, no HTTP)", perSecond, baseline, "/s");
        report.Absolute("Routing: Redis calls per routed conversation", $"{(double)calls / total:0.00}", "-", "<= 4", (double)calls / total <= 4 && total == backlog);
        report.Absolute("Routing: commands inside the scripts per conversation", $"{(double)commands / total:0.0}", "-", "report", null);
    }

    /// <summary>The same backlog, taken from the queues with the fewest plain calls: ZPOPMIN, then HSET to record the agent.</summary>
    private static async Task<double> BaselineAsync(RedisProcess redis, int backlog)
    {
        var db = redis.Connection.GetDatabase();
        await Parallel.ForAsync(0, backlog, new ParallelOptions { MaxDegreeOfParallelism = Workers }, async (i, _) =>
            await db.SortedSetAddAsync($"q:s{i % Skills}", Guid.NewGuid().ToString("N"), i));
        var taken = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(w => Task.Run(async () =>
        {
            for (var empty = 0; empty < Skills;)
            {
                var popped = await db.SortedSetPopAsync($"q:s{(w + empty) % Skills}");
                if (popped is not { } entry)
                {
                    empty++;
                    continue;
                }

                await db.HashSetAsync("c:" + entry.Element, "agent", $"agent{w}");
                Interlocked.Increment(ref taken);
            }
        })));
        return taken / clock.Elapsed.TotalSeconds;
    }
}

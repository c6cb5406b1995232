using System.Globalization;

namespace ChatGateway.Bench;

/// <summary>
/// Ends a throughput phase's warm-up once the server is in the steady state a long-running process is in:
/// after at least <see cref="BenchOptions.WarmUp"/>, as soon as the runtime's tiered compiler has gone
/// quiet (its threads used less than <see cref="QuietShare"/> of one CPU over the last
/// <see cref="Window"/>), and at the latest after <see cref="BenchOptions.MaxWarmUp"/>.
/// </summary>
/// <remarks>
/// A fixed warm-up measured the compiler on slower days: on 2026-12-02 the gateway, fresh and under full
/// load, still spent 20% of its CPU on the compiler thread 22-32 s after start (perf), used 170% CPU for
/// what took it 120% from about 40 s on, and the same 20 s warm-up gave ingest ratios of 0.24-0.28 where
/// 60 s gave 0.42-0.52. The baseline, a few hundred methods, settles within seconds; the gateway, with
/// EF Core, SQLite, Redis and its plugins, takes longer, and how much longer depends on the machine's
/// load. Both servers are warmed up by the same rule, and the time each took is printed.
/// </remarks>
internal sealed class WarmUp(int serverPid, BenchOptions options)
{
    /// <summary>How long the compiler's activity is looked at before deciding it has gone quiet.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(3);

    /// <summary>The compiler's share of one CPU under which it counts as quiet.</summary>
    public const double QuietShare = 0.03;

    /// <summary>Waits, from the start of the load, until the warm-up is over and returns how long it took.</summary>
    public async Task<TimeSpan> WaitAsync(CancellationToken cancellationToken = default)
    {
        await Task.Delay(options.WarmUp, cancellationToken);
        var waited = options.WarmUp;
        while (waited < options.MaxWarmUp)
        {
            var before = CompilerTicks(serverPid);
            await Task.Delay(Window, cancellationToken);
            waited += Window;
            var after = CompilerTicks(serverPid);

            // Threads present both times: their growth; a compiler thread that started within the window: all
            // of it (one that ended within it is missed, and a quiet compiler ends its thread after a while).
            var ticks = after.Sum(t => t.Value - before.GetValueOrDefault(t.Key));
            if (ticks < QuietShare * Window.TotalSeconds * TicksPerSecond)
            {
                break;
            }
        }

        return waited;
    }

    /// <summary>Clock ticks (user + system) of each of the process's tiered-compilation threads, by thread id.</summary>
    public static Dictionary<int, long> CompilerTicks(int pid)
    {
        var ticks = new Dictionary<int, long>();
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    // The runtime names it ".NET Tiered Compilation Worker"; the kernel keeps 15 characters.
                    if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    // Fields after the command's closing parenthesis: utime and stime are the 12th and 13th.
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    ticks[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] =
                        long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // the thread ended while it was read
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // the server is gone; the load will notice
        }

        return ticks;
    }

    /// <summary>USER_HZ: the unit of /proc's CPU times, 100 on every Linux architecture .NET runs on.</summary>
    private const double TicksPerSecond = 100;
}

using System.Diagnostics;
using System.Runtime.InteropServices;

namespace ChatGateway.Bench;

/// <summary>What the figures were measured on, and the process limits the bench needs.</summary>
internal static class Machine
{
    public static string Describe()
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var memKb = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var os = File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"')
            : RuntimeInformation.OSDescription;
        return $"{cpu}, {Environment.ProcessorCount} cores, {long.Parse(memKb) / 1024 / 1024} GiB, {os}, .NET {Environment.Version}";
    }

    /// <summary>Resident memory of a process, in bytes (VmRSS).</summary>
    public static long ResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
    }

    /// <summary>Open files a process may have (soft limit); servers started by the bench inherit it.</summary>
    public static long OpenFileLimit()
    {
        var line = File.ReadLines("/proc/self/limits").First(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        var value = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
        return value == "unlimited" ? long.MaxValue : long.Parse(value);
    }

    /// <summary>
    /// Writes out what earlier figures left for the disk (their stores, deleted or not, and the file
    /// system's journal), so that a figure's own syncs do not queue behind it; returns how long that took.
    /// </summary>
    public static TimeSpan SettleDisk()
    {
        var clock = Stopwatch.StartNew();
        sync();
        return clock.Elapsed;
    }

    [DllImport("libc")]
    private static extern void sync();

    public static void PinSelfTo(string cpus) => Pin(Environment.ProcessId, cpus);

    public static void Pin(int pid, string cpus)
    {
        using var taskset = Process.Start(new ProcessStartInfo("taskset", $"-a -p -c {cpus} {pid}") { RedirectStandardOutput = true, UseShellExecute = false })!;
        taskset.WaitForExit();
    }
}

using System.Globalization;
using System.Text;

namespace ChatGateway.Bench;

/// <summary>One line of the table: a figure for the gateway, the same figure for the raw baseline, and the target on their ratio.</summary>
internal sealed record Row(string Figure, string Gateway, string Baseline, double? Ratio, string Target, bool? Passed);

internal sealed class Report(BenchOptions options)
{
    private readonly List<Row> _rows = [];
    private readonly List<string> _notes = [];

    public bool AllPassed => _rows.All(r => r.Passed != false);

    /// <summary>A throughput-like figure where more is better: passes when gateway / baseline reaches <paramref name="target"/>.</summary>
    public void AtLeast(string figure, double gateway, double baseline, string unit, double target)
    {
        var ratio = baseline > 0 ? gateway / baseline : 0;
        Add(new Row(figure, $"{gateway:N0} {unit}", $"{baseline:N0} {unit}", ratio, $">= {target:0.##}", ratio >= target));
    }

    /// <summary>A latency-like figure where less is better: passes when gateway / baseline stays at or under <paramref name="target"/>.</summary>
    public void AtMost(string figure, double gateway, double baseline, string unit, double target)
    {
        var ratio = baseline > 0 ? gateway / baseline : double.PositiveInfinity;
        Add(new Row(figure, $"{gateway:0.0} {unit}", $"{baseline:0.0} {unit}", ratio, $"<= {target:0.##}", ratio <= target));
    }

    /// <summary>A figure compared with its baseline, without a target.</summary>
    public void Compared(string figure, double gateway, double baseline, string unit) =>
        Add(new Row(figure, $"{gateway:N0} {unit}", $"{baseline:N0} {unit}", baseline > 0 ? gateway / baseline : null, "report", null));

    /// <summary>A figure with an absolute target or none (<paramref name="passed"/> null: reported only).</summary>
    public void Absolute(string figure, string gateway, string baseline, string target, bool? passed) =>
        Add(new Row(figure, gateway, baseline, null, target, passed));

    public void Note(string note)
    {
        _notes.Add(note);
        Console.WriteLine("  " + note);
    }

    private void Add(Row row)
    {
        _rows.Add(row);
        Console.WriteLine($"  {row.Figure}: gateway {row.Gateway}, baseline {row.Baseline}{(row.Ratio is { } r ? $", ratio {r:0.00}" : "")} -> {Verdict(row)}");
    }

    public void Print(TimeSpan elapsed)
    {
        var header = new[] { "figure", "gateway", "baseline", "ratio", "target", "result" };
        var cells = _rows.Select(r => new[] { r.Figure, r.Gateway, r.Baseline, r.Ratio is { } x ? x.ToString("0.00", CultureInfo.InvariantCulture) : "-", r.Target, Verdict(r) }).ToList();
        var widths = header.Select((h, i) => cells.Select(c => c[i].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] c) => string.Join("  ", c.Select((x, i) => x.PadRight(widths[i])));

        Console.WriteLine();
        Console.WriteLine(Line(header));
        Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        cells.ForEach(c => Console.WriteLine(Line(c)));
        Console.WriteLine();
        Console.WriteLine($"Run time {elapsed:mm\\:ss}{(options.Quick ? " (quick run: shorter phases, noisier figures)" : "")}. {(options.Pinned ? "Servers pinned to CPU 0, load generator to CPU 1." : "Load generator and servers share the CPUs.")}");

        var md = new StringBuilder();
        md.AppendLine($"Measured {DateTime.UtcNow:yyyy-MM-dd} on {Machine.Describe()}; run time {elapsed:mm\\:ss}{(options.Quick ? ", quick run" : "")}; " +
            (options.Pinned ? "servers pinned to CPU 0, load generator to CPU 1." : "load generator and servers share the CPUs."));
        md.AppendLine();
        md.AppendLine("| " + string.Join(" | ", header) + " |");
        md.AppendLine("|" + string.Concat(header.Select(_ => "---|")));
        cells.ForEach(c => md.AppendLine("| " + string.Join(" | ", c) + " |"));
        if (_notes.Count > 0)
        {
            md.AppendLine();
            _notes.ForEach(n => md.AppendLine("- " + n));
        }

        var path = Path.Combine(Repo.Root, "bench", "results", options.Only is null ? "latest.md" : $"latest-{options.Only}.md");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, md.ToString());
        Console.WriteLine($"Table written to {path}");
    }

    private static string Verdict(Row row) => row.Passed switch { true => "pass", false => "FAIL", null => "report" };
}

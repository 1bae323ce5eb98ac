using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Messaging.Load.Infrastructure;

/// <summary>Whether a row measures the product or a bound it is compared with.</summary>
internal enum Role
{
    Ours,
    Baseline,
}

/// <summary>One measured line: who, under which load (<paramref name="Mode"/>, e.g. "closed 64" or "open 900/s"), and what came out.</summary>
internal sealed record ReportRow(string Target, Role Role, string Mode, LoadResult Result, string? Note = null)
{
    /// <summary>Which repeat of the scenario measured it (1 unless <c>--repeat</c> was given).</summary>
    public int Repeat { get; init; } = 1;
}

/// <summary>
/// Collects a scenario's rows, prints them as a table with the ratio ours / baseline (throughput, and p99 latency)
/// per load mode, and writes the same as JSON and Markdown into <c>artifacts/bench/</c>.
/// </summary>
internal sealed class Report(string scenario, IReadOnlyDictionary<string, string> settings)
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };
    private readonly List<ReportRow> _rows = [];
    private readonly List<string> _notes = [];

    /// <summary>The open-model arrival rate every target of this run uses (set by the first measured target unless given).</summary>
    public double? OpenRate { get; set; }

    /// <summary>The repeat being measured: rows added now belong to it.</summary>
    public int Repeat { get; set; } = 1;

    public void Add(ReportRow row)
    {
        row = row with { Repeat = Repeat };
        _rows.Add(row);
        Console.WriteLine($"  {row.Target,-34} {row.Mode,-14} {Format(row.Result.Throughput, "0")}/s  p50 {Format(row.Result.P50Ms, "0.00")} ms  " +
            $"p99 {Format(row.Result.P99Ms, "0.00")} ms  errors {row.Result.Errors}  dropped {row.Result.Dropped}");
        Console.WriteLine($"  {"",-34} cores: {row.Result.Usage.Describe()}");
        foreach (var host in row.Result.Usage.Resident)
        {
            Console.WriteLine($"  {"",-34} resident: {host.Describe()}");
        }
    }

    public void Note(string note)
    {
        _notes.Add(note);
        Console.WriteLine("  note: " + note);
    }

    public async Task WriteAsync()
    {
        var markdown = ToMarkdown();
        Console.WriteLine();
        Console.WriteLine(markdown);
        Directory.CreateDirectory(RepositoryLayout.Artifacts);
        var stamp = DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var basePath = Path.Combine(RepositoryLayout.Artifacts, $"{scenario}-{stamp}");
        await File.WriteAllTextAsync(basePath + ".md", markdown).ConfigureAwait(false);
        var json = new
        {
            scenario,
            utc = DateTime.UtcNow,
            machine = new { Environment.ProcessorCount, os = Environment.OSVersion.VersionString, runtime = Environment.Version.ToString() },
            settings,
            rows = _rows.Select(r => new
            {
                r.Target,
                role = r.Role.ToString(),
                r.Mode,
                r.Repeat,
                throughput = r.Result.Throughput,
                r.Result.Succeeded,
                r.Result.Errors,
                r.Result.Dropped,
                p50Ms = r.Result.P50Ms,
                p99Ms = r.Result.P99Ms,
                maxMs = r.Result.MaxMs,
                ratio = Ratio(r) is { } ratio ? new { throughput = ratio.Throughput, p99 = ratio.P99 } : null,
                cpuSeconds = r.Result.Usage.CpuSeconds,
                wallSeconds = r.Result.Usage.WallSeconds,
                gc = new { r.Result.Usage.Gen0, r.Result.Usage.Gen1, r.Result.Usage.Gen2, r.Result.Usage.AllocatedBytes },
                resident = r.Result.Usage.Resident,
                r.Note,
            }),
            medians = Medians().Select(m => new { m.Target, m.Mode, m.Runs, throughput = m.Throughput, cpuMsPerOp = m.CpuMsPerOp, ratio = m.Ratio, ratioMin = m.RatioMin, ratioMax = m.RatioMax }),
            notes = _notes,
        };
        await File.WriteAllTextAsync(basePath + ".json", JsonSerializer.Serialize(json, Json)).ConfigureAwait(false);
        Console.WriteLine($"written: {basePath}.md and .json");
    }

    private string ToMarkdown()
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"### {scenario} ({string.Join(", ", settings.Select(s => $"{s.Key} {s.Value}"))})");
        text.AppendLine();
        var repeated = _rows.Any(r => r.Repeat > 1);
        text.AppendLine(repeated
            ? "| repeat | target | load | ops/s | p50 ms | p99 ms | errors | ours / this (ops/s) | ours / this (p99) | CPU ms/op (all) | cores used (avg) |"
            : "| target | load | ops/s | p50 ms | p99 ms | errors | ours / this (ops/s) | ours / this (p99) | CPU ms/op (all) | cores used (avg) |");
        text.AppendLine(repeated ? "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|" : "|---|---|---:|---:|---:|---:|---:|---:|---:|---|");
        foreach (var row in _rows)
        {
            var (throughputRatio, p99Ratio) = Ratio(row) ?? (double.NaN, double.NaN);
            text.AppendLine(CultureInfo.InvariantCulture,
                $"{(repeated ? $"| {row.Repeat} " : "")}| {row.Target} | {row.Mode} | {Format(row.Result.Throughput, "#,0")} | {Format(row.Result.P50Ms, "0.00")} | {Format(row.Result.P99Ms, "0.00")} | " +
                $"{row.Result.Errors + row.Result.Dropped} | {Format(throughputRatio, "0.00")} | {Format(p99Ratio, "0.00")} | {Format(CpuPerOp(row.Result), "0.00")} | {row.Result.Usage.Describe()} |");
        }

        if (repeated)
        {
            text.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"Medians over the repeats (each ratio against ours of the same repeat; min–max in brackets):");
            text.AppendLine();
            text.AppendLine("| target | load | repeats | ops/s | CPU ms/op (all) | ours / this (ops/s) |");
            text.AppendLine("|---|---|---:|---:|---:|---:|");
            foreach (var median in Medians())
            {
                var ratio = double.IsNaN(median.Ratio) ? "–" : $"**{Format(median.Ratio, "0.00")}** ({Format(median.RatioMin, "0.00")}–{Format(median.RatioMax, "0.00")})";
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {median.Target} | {median.Mode} | {median.Runs} | {Format(median.Throughput, "#,0")} | {Format(median.CpuMsPerOp, "0.00")} | {ratio} |");
            }
        }

        // Rows sharing one window (e.g. accepted and completed of the same closed loop) list its memory once.
        var windows = _rows.Where(r => r.Result.Usage.Resident.Count > 0).DistinctBy(r => r.Result.Usage, ReferenceEqualityComparer.Instance).ToList();
        if (windows.Count > 0)
        {
            text.AppendLine().AppendLine("Resident memory of the child hosts (VmRSS in MiB, sampled over the measured window, every 5 s or every second in `backlog`; slope by least squares):");
            text.AppendLine();
            text.AppendLine("| target | load | host | samples | start | 1/3 | 2/3 | end | max | slope MiB/min |");
            text.AppendLine("|---|---|---|---:|---:|---:|---:|---:|---:|---:|");
            foreach (var row in windows)
            {
                foreach (var host in row.Result.Usage.Resident)
                {
                    text.AppendLine(CultureInfo.InvariantCulture,
                        $"| {row.Target} | {row.Mode} | {host.Host} | {host.Samples} | {host.StartMiB:0.0} | {host.OneThirdMiB:0.0} | {host.TwoThirdsMiB:0.0} | " +
                        $"{host.EndMiB:0.0} | {host.MaxMiB:0.0} | {host.SlopeMiBPerMinute:+0.00;-0.00;0.00} |");
                }
            }
        }

        foreach (var note in _notes)
        {
            text.AppendLine().AppendLine(note);
        }

        return text.ToString();
    }

    /// <summary>Ours / this row, against the "ours" row of the same load mode; null for ours itself.</summary>
    private (double Throughput, double P99)? Ratio(ReportRow row)
    {
        if (row.Role == Role.Ours)
        {
            return null;
        }

        var ours = _rows.FirstOrDefault(r => r.Role == Role.Ours && r.Mode == row.Mode && r.Repeat == row.Repeat);
        return ours is null ? null : (ours.Result.Throughput / row.Result.Throughput, ours.Result.P99Ms / row.Result.P99Ms);
    }

    /// <summary>Per target and load mode, the medians over the repeats (the open rate is the same in every repeat).</summary>
    private List<MedianRow> Medians() =>
        _rows.GroupBy(r => (r.Target, r.Mode))
            .Select(g =>
            {
                var ratios = g.Select(r => Ratio(r)?.Throughput ?? double.NaN).Where(r => !double.IsNaN(r)).ToList();
                return new MedianRow(g.Key.Target, g.Key.Mode, g.Count(), Median(g.Select(r => r.Result.Throughput)), Median(g.Select(r => CpuPerOp(r.Result))),
                    Median(ratios), ratios.Count > 0 ? ratios.Min() : double.NaN, ratios.Count > 0 ? ratios.Max() : double.NaN);
            })
            .ToList();

    private static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(v => !double.IsNaN(v)).Order().ToArray();
        return sorted.Length == 0 ? double.NaN
            : sorted.Length % 2 == 1 ? sorted[sorted.Length / 2]
            : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed record MedianRow(string Target, string Mode, int Runs, double Throughput, double CpuMsPerOp, double Ratio, double RatioMin, double RatioMax);

    /// <summary>CPU milliseconds of every measured process (tool, hosts, services) per operation in the window.</summary>
    private static double CpuPerOp(LoadResult result) =>
        result.Usage.WallSeconds <= 0 || result.Succeeded == 0
            ? double.NaN
            : result.Usage.CpuSeconds.Values.Sum() * 1000 / (result.Throughput * result.Usage.WallSeconds);

    public static string Format(double value, string format) =>
        double.IsNaN(value) || double.IsInfinity(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);
}

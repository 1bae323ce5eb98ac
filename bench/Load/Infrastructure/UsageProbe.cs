using System.Diagnostics;
using System.Globalization;

namespace Messaging.Load.Infrastructure;

/// <summary>
/// Where the CPU went during a measured window: this process (the load tool and whatever runs in it), the child
/// hosts registered with <see cref="Watch"/>, and the services (PostgreSQL, RabbitMQ, Redis) read from
/// <c>/proc</c>. Plus this process's garbage collections and allocated bytes, and the child hosts' resident
/// memory sampled over the window (every 5 s unless told otherwise). The machine is shared: the service figures include whatever else
/// used them in the window.
/// </summary>
internal sealed class UsageProbe(TimeSpan? residentInterval = null)
{
    private readonly TimeSpan _residentInterval = residentInterval ?? TimeSpan.FromSeconds(5);
    private static readonly List<ChildProcess> Watched = [];
    private static readonly (string Comm, string Name)[] Services = [("postgres", "postgres"), ("beam.smp", "rabbitmq"), ("redis-server", "redis")];
    private readonly Dictionary<string, double> _startCpu = [];
    private readonly int[] _startCollections = new int[3];
    private long _startAllocated;
    private long _startTimestamp;
    private readonly List<(double Seconds, List<(string Name, long Bytes)> Hosts)> _resident = [];
    private Timer? _residentTimer;
    private bool _stopped;

    public Usage Result { get; private set; } = Usage.Empty;

    public static void Watch(ChildProcess process)
    {
        lock (Watched)
        {
            Watched.Add(process);
        }
    }

    public static void Forget(ChildProcess process)
    {
        lock (Watched)
        {
            Watched.Remove(process);
        }
    }

    public void Start()
    {
        foreach (var (name, seconds) in CpuNow())
        {
            _startCpu[name] = seconds;
        }

        for (var generation = 0; generation < 3; generation++)
        {
            _startCollections[generation] = GC.CollectionCount(generation);
        }

        _startAllocated = GC.GetTotalAllocatedBytes(precise: false);
        _startTimestamp = Stopwatch.GetTimestamp();
        SampleResident();
        _residentTimer = new Timer(_ => SampleResident(), null, _residentInterval, _residentInterval);
    }

    public void Stop()
    {
        _residentTimer?.Dispose();
        SampleResident();
        lock (_resident)
        {
            _stopped = true;
        }

        var wall = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        var cpu = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, seconds) in CpuNow())
        {
            cpu[name] = seconds - _startCpu.GetValueOrDefault(name);
        }

        Result = new Usage(
            wall,
            cpu,
            GC.CollectionCount(0) - _startCollections[0],
            GC.CollectionCount(1) - _startCollections[1],
            GC.CollectionCount(2) - _startCollections[2],
            GC.GetTotalAllocatedBytes(precise: false) - _startAllocated)
        {
            Resident = ResidentMemory.Summarize(_resident),
        };
    }

    private void SampleResident()
    {
        List<ChildProcess> hosts;
        lock (Watched)
        {
            hosts = [.. Watched];
        }

        if (hosts.Count == 0)
        {
            return;
        }

        var seconds = Stopwatch.GetElapsedTime(_startTimestamp).TotalSeconds;
        var sample = hosts.Select(h => (h.Name, h.ResidentBytes)).Where(h => h.ResidentBytes > 0).ToList();
        lock (_resident)
        {
            if (!_stopped)
            {
                _resident.Add((seconds, sample));
            }
        }
    }

    private static List<(string Name, double Seconds)> CpuNow()
    {
        var result = new List<(string, double)> { ("load tool", Process.GetCurrentProcess().TotalProcessorTime.TotalSeconds) };
        lock (Watched)
        {
            result.AddRange(Watched.Select(p => (p.Name, p.CpuTime.TotalSeconds)));
        }

        var totals = new double[Services.Length];
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!char.IsAsciiDigit(Path.GetFileName(directory)[0]))
            {
                continue;
            }

            string stat;
            try
            {
                stat = File.ReadAllText(Path.Combine(directory, "stat"));
            }
            catch (IOException)
            {
                continue; // the process ended meanwhile
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }

            var open = stat.IndexOf('(', StringComparison.Ordinal);
            var close = stat.LastIndexOf(')');
            if (open < 0 || close < open)
            {
                continue;
            }

            var comm = stat[(open + 1)..close];
            var index = Array.FindIndex(Services, s => s.Comm == comm);
            if (index < 0)
            {
                continue;
            }

            // Fields after the command: state is field 3, utime 14 and stime 15 (clock ticks, 100 per second).
            var fields = stat[(close + 2)..].Split(' ');
            totals[index] += (double.Parse(fields[11], CultureInfo.InvariantCulture) + double.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
        }

        for (var i = 0; i < Services.Length; i++)
        {
            result.Add((Services[i].Name, totals[i]));
        }

        return result;
    }
}

/// <summary>CPU seconds by process over a window of <paramref name="WallSeconds"/>, and this process's GC activity.</summary>
internal sealed record Usage(double WallSeconds, IReadOnlyDictionary<string, double> CpuSeconds, int Gen0, int Gen1, int Gen2, long AllocatedBytes)
{
    public static Usage Empty { get; } = new(0, new Dictionary<string, double>(), 0, 0, 0, 0);

    /// <summary>The child hosts' resident memory over the window, one entry per host.</summary>
    public IReadOnlyList<ResidentMemory> Resident { get; init; } = [];

    /// <summary>"load tool 0.41 · gateway 0.80 · postgres 0.35" as cores used on average.</summary>
    public string Describe() => string.Join(" · ",
        CpuSeconds.Where(c => c.Value > 0.005 * WallSeconds).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value / WallSeconds:0.00}")));
}

/// <summary>
/// A child host's resident memory (VmRSS, MiB) over a window: at its start, at 1/3 and 2/3 of it, at its end, the
/// maximum, and the least-squares slope in MiB per minute (flat memory: a slope near 0 and end ≈ start).
/// </summary>
internal sealed record ResidentMemory(string Host, int Samples, double StartMiB, double OneThirdMiB, double TwoThirdsMiB, double EndMiB, double MaxMiB, double SlopeMiBPerMinute)
{
    /// <summary>"gateway 152.3 → 151.8 MiB (max 160.1, -0.02 MiB/min)".</summary>
    public string Describe() => string.Create(CultureInfo.InvariantCulture,
        $"{Host} {StartMiB:0.0} → {OneThirdMiB:0.0} → {TwoThirdsMiB:0.0} → {EndMiB:0.0} MiB (max {MaxMiB:0.0}, {SlopeMiBPerMinute:+0.00;-0.00;0.00} MiB/min)");

    public static IReadOnlyList<ResidentMemory> Summarize(List<(double Seconds, List<(string Name, long Bytes)> Hosts)> samples)
    {
        lock (samples)
        {
            return samples.SelectMany(s => s.Hosts.Select(h => (h.Name, s.Seconds, MiB: h.Bytes / 1048576.0)))
                .GroupBy(h => h.Name, StringComparer.Ordinal)
                .Select(g => Of(g.Key, [.. g.Select(h => (h.Seconds, h.MiB))]))
                .ToList();
        }
    }

    private static ResidentMemory Of(string host, (double Seconds, double MiB)[] series)
    {
        // The sample nearest to a fraction of the window (samples are 5 s apart, the last one at the window's end).
        double At(double fraction)
        {
            var target = series[0].Seconds + fraction * (series[^1].Seconds - series[0].Seconds);
            return series.MinBy(s => Math.Abs(s.Seconds - target)).MiB;
        }

        // Least squares: slope = Σ(t - t̄)(m - m̄) / Σ(t - t̄)², per second, reported per minute.
        var meanT = series.Average(s => s.Seconds);
        var meanM = series.Average(s => s.MiB);
        var spread = series.Sum(s => (s.Seconds - meanT) * (s.Seconds - meanT));
        var slope = spread <= 0 ? 0 : series.Sum(s => (s.Seconds - meanT) * (s.MiB - meanM)) / spread * 60;
        return new ResidentMemory(host, series.Length, series[0].MiB, At(1.0 / 3), At(2.0 / 3), series[^1].MiB, series.Max(s => s.MiB), slope);
    }
}

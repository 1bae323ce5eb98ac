using System.Diagnostics;
using System.Globalization;

namespace Messaging.Load.Infrastructure;

/// <summary>
/// Where the CPU went during a measured window: this process (the load tool and whatever runs in it), the child
/// hosts registered with <see cref="Watch"/>, and the services (PostgreSQL, RabbitMQ, Redis) read from
/// <c>/proc</c>. Plus this process's garbage collections and allocated bytes. The machine is shared: the service
/// figures include whatever else used them in the window.
/// </summary>
internal sealed class UsageProbe
{
    private static readonly List<ChildProcess> Watched = [];
    private static readonly (string Comm, string Name)[] Services = [("postgres", "postgres"), ("beam.smp", "rabbitmq"), ("redis-server", "redis")];
    private readonly Dictionary<string, double> _startCpu = [];
    private readonly int[] _startCollections = new int[3];
    private long _startAllocated;
    private long _startTimestamp;

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
    }

    public void Stop()
    {
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
            GC.GetTotalAllocatedBytes(precise: false) - _startAllocated);
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

    /// <summary>"load tool 0.41 · gateway 0.80 · postgres 0.35" as cores used on average.</summary>
    public string Describe() => string.Join(" · ",
        CpuSeconds.Where(c => c.Value > 0.005 * WallSeconds).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key} {c.Value / WallSeconds:0.00}")));
}

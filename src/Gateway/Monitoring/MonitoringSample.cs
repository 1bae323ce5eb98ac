using Messaging.Resilience.Breakers;
using Messaging.Store.DeadLetters;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// What one monitoring pass saw. A part is null when its source could not be read this time (monitoring degrades,
/// it does not fail); the alert rules then keep their previous verdict for that part.
/// </summary>
/// <param name="At">When the sample was taken.</param>
/// <param name="Queues">The queues, with their recent history; null when neither RabbitMQ source answered.</param>
/// <param name="Outbox">Outbox lag.</param>
/// <param name="DeadLetters">Waiting dead letters.</param>
/// <param name="Breakers">The fleet's breakers.</param>
/// <param name="Health">The gateway's readiness checks.</param>
/// <param name="DeadLetterTotals">The waiting dead-letter total over time.</param>
/// <param name="Counters">Fleet-wide running totals over time, by series key (see <c>FleetCounters</c>).</param>
internal sealed record MonitoringSample(
    DateTimeOffset At,
    IReadOnlyList<QueueView>? Queues,
    OutboxStatistics? Outbox,
    DeadLetterSummary? DeadLetters,
    IReadOnlyList<BreakerSnapshot>? Breakers,
    IReadOnlyList<HealthEntry>? Health,
    SeriesWindow DeadLetterTotals,
    IReadOnlyDictionary<string, SeriesWindow> Counters)
{
    /// <summary>A sample that knows nothing yet.</summary>
    public static MonitoringSample Empty(DateTimeOffset at) =>
        new(at, null, null, null, null, null, SeriesWindow.Empty, new Dictionary<string, SeriesWindow>(StringComparer.Ordinal));
}

/// <summary>One queue in the overview: the contract's fields, where the figures came from, and the recent ready counts for a sparkline.</summary>
/// <param name="Name">The queue.</param>
/// <param name="Ready">Messages waiting.</param>
/// <param name="Unacked">Messages delivered and not acknowledged (null when read over AMQP).</param>
/// <param name="Consumers">Consumers attached.</param>
/// <param name="PublishRate">Messages in per second (over AMQP: estimated from depth changes, a lower bound).</param>
/// <param name="DeliverRate">Messages out per second (over AMQP: estimated from depth changes, a lower bound).</param>
/// <param name="Source"><c>management</c> or <c>amqp</c>; <c>tenant</c> for a tenant admin's share (its command rows, not the broker's figures).</param>
/// <param name="History">Ready counts of the recent samples, oldest first.</param>
internal sealed record QueueView(string Name, long Ready, long? Unacked, int Consumers, double? PublishRate, double? DeliverRate, string Source,
    IReadOnlyList<long> History);

/// <summary>One readiness check.</summary>
/// <param name="Name">The check (postgres, redis, masstransit-bus, …).</param>
/// <param name="Status">Healthy, Degraded or Unhealthy.</param>
internal sealed record HealthEntry(string Name, string Status);

/// <summary>A firing alert, as the overview and the page show it.</summary>
/// <param name="Rule">The rule (BreakerOpen, DeadLettersGrowing, OutboxLag, QueueWithoutConsumers, RateLimitRejectionSurge, DependencyUnhealthy, RetryBudgetExhausted).</param>
/// <param name="Severity"><c>critical</c> or <c>warning</c>.</param>
/// <param name="Since">When its condition started.</param>
/// <param name="Message">What is wrong and what to do.</param>
internal sealed record AlertView(string Rule, string Severity, DateTimeOffset Since, string Message);

/// <summary>A time series of one value (a gauge or a running total), oldest point first. Immutable.</summary>
internal sealed class SeriesWindow
{
    private readonly (DateTimeOffset At, long Value)[] _points;

    public SeriesWindow(IEnumerable<(DateTimeOffset At, long Value)> points) => _points = points.ToArray();

    public static SeriesWindow Empty { get; } = new([]);

    public IReadOnlyList<(DateTimeOffset At, long Value)> Points => _points;

    /// <summary>
    /// How much a running total rose within <paramref name="window"/> before <paramref name="now"/>: the last value
    /// minus the value at the start of the window (the latest point at or before it, else the first point).
    /// </summary>
    public long Increase(TimeSpan window, DateTimeOffset now)
    {
        if (_points.Length == 0)
        {
            return 0;
        }

        var start = now - window;
        var baseline = _points[0].Value;
        foreach (var point in _points)
        {
            if (point.At > start)
            {
                break;
            }

            baseline = point.Value;
        }

        return Math.Max(0, _points[^1].Value - baseline);
    }

    /// <summary>How far a gauge rose above its lowest value within <paramref name="window"/> before <paramref name="now"/>.</summary>
    public long Growth(TimeSpan window, DateTimeOffset now)
    {
        if (_points.Length == 0)
        {
            return 0;
        }

        var start = now - window;
        var lowest = long.MaxValue;
        var baseline = _points[0].Value;
        foreach (var point in _points)
        {
            if (point.At <= start)
            {
                baseline = point.Value;
            }
            else
            {
                lowest = Math.Min(lowest, point.Value);
            }
        }

        lowest = Math.Min(lowest, baseline);
        return Math.Max(0, _points[^1].Value - lowest);
    }
}

/// <summary>A mutable series kept by the sampler, trimmed to a retention; <see cref="Snapshot"/> hands out an immutable copy.</summary>
internal sealed class TimeSeries
{
    private readonly Queue<(DateTimeOffset At, long Value)> _points = new();

    public void Add(DateTimeOffset at, long value, TimeSpan retention)
    {
        _points.Enqueue((at, value));

        // Keep one point at or before the retention's start, so increases over the full window have a baseline.
        while (_points.Count > 2 && _points.ElementAt(1).At <= at - retention)
        {
            _points.Dequeue();
        }
    }

    public SeriesWindow Snapshot() => new(_points);
}

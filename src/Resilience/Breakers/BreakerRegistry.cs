using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Messaging.Resilience.Breakers;

/// <summary>
/// Observes and controls the circuit breakers of every dependency pipeline: their state for monitoring,
/// their transitions for logs, metrics, span events and the consumers that pause on them, and manual
/// isolate/reset. Pipelines are still selected by key from Polly's registry; this only watches them.
/// </summary>
public sealed partial class BreakerRegistry
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ResilienceMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<BreakerRegistry> _logger;

    /// <summary>Creates the registry and its state gauge.</summary>
    public BreakerRegistry(ResilienceMetrics metrics, TimeProvider timeProvider, ILogger<BreakerRegistry> logger)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _metrics = metrics;
        _timeProvider = timeProvider;
        _logger = logger;
        metrics.Meter.CreateObservableGauge("messaging.resilience.breaker.state", ObserveStates,
            description: "Circuit breaker state: 0 closed, 1 half-open, 2 open, 3 isolated.");
    }

    /// <summary>Raised after every state change, on the thread that caused it. Handlers must be quick.</summary>
    public event Action<BreakerStateChanged>? StateChanged;

    /// <summary>Every known breaker, by name.</summary>
    public IReadOnlyList<BreakerSnapshot> Snapshot() =>
        _entries.Values.Select(e => new BreakerSnapshot(e.Name, e.State, e.Since)).OrderBy(s => s.Name, StringComparer.Ordinal).ToList();

    /// <summary>The state of one breaker (Closed when unknown: it has not been built yet).</summary>
    public BreakerState GetState(string name) => _entries.TryGetValue(name, out var entry) ? entry.State : BreakerState.Closed;

    /// <summary>Whether a breaker with this name exists.</summary>
    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>Opens a breaker by hand; it stays open until <see cref="ResetAsync"/>.</summary>
    public async Task<bool> IsolateAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_entries.TryGetValue(name, out var entry))
        {
            return false;
        }

        await entry.Control.IsolateAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Closes a breaker by hand (after isolation, or to end a break early).</summary>
    public async Task<bool> ResetAsync(string name, CancellationToken cancellationToken = default)
    {
        if (!_entries.TryGetValue(name, out var entry))
        {
            return false;
        }

        await entry.Control.CloseAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Wires a breaker's options into the registry: a fresh state provider (one per breaker instance, so
    /// a configuration reload can build a new one), the name's manual control, and the transition callbacks.
    /// </summary>
    public void Attach<TResult>(string name, CircuitBreakerStrategyOptions<TResult> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var entry = _entries.GetOrAdd(name, n => new Entry(n, _timeProvider.GetUtcNow()));
        if (entry.State is not BreakerState.Closed)
        {
            // A rebuilt pipeline (configuration reload) starts with a closed breaker: say so.
            Transition(entry, BreakerState.Closed, "rebuilt after a configuration change", null);
        }

        options.StateProvider = new CircuitBreakerStateProvider();
        options.ManualControl = entry.Control;
        var onOpened = options.OnOpened;
        var onClosed = options.OnClosed;
        var onHalfOpened = options.OnHalfOpened;
        options.OnOpened = async args =>
        {
            Transition(entry, args.IsManual ? BreakerState.Isolated : BreakerState.Open, DescribeOutcome(args.Outcome), args.BreakDuration);
            if (onOpened is not null)
            {
                await onOpened(args).ConfigureAwait(false);
            }
        };
        options.OnClosed = async args =>
        {
            Transition(entry, BreakerState.Closed, args.IsManual ? "manual reset" : DescribeOutcome(args.Outcome), null);
            if (onClosed is not null)
            {
                await onClosed(args).ConfigureAwait(false);
            }
        };
        options.OnHalfOpened = async args =>
        {
            Transition(entry, BreakerState.HalfOpen, "break elapsed", null);
            if (onHalfOpened is not null)
            {
                await onHalfOpened(args).ConfigureAwait(false);
            }
        };
    }

    /// <summary>
    /// The counter of outcomes seen by a breaker, for the figures logged at its next transition. Held by
    /// the pipeline, so recording an outcome costs two interlocked increments and no lookup.
    /// </summary>
    internal BreakerOutcomeCounter OutcomeCounter(string name) =>
        new(_entries.GetOrAdd(name, n => new Entry(n, _timeProvider.GetUtcNow())));

    /// <summary>Counts a call rejected by an open breaker.</summary>
    internal void RecordRejection(string name) =>
        _metrics.BreakerRejections.Add(1, new KeyValuePair<string, object?>("messaging.resilience.breaker", name));

    private void Transition(Entry entry, BreakerState to, string reason, TimeSpan? breakDuration)
    {
        BreakerState from;
        long calls, failures;
        lock (entry)
        {
            from = entry.State;
            entry.State = to;
            entry.Since = _timeProvider.GetUtcNow();
            calls = Interlocked.Exchange(ref entry.Calls, 0);
            failures = Interlocked.Exchange(ref entry.Failures, 0);
        }

        _metrics.BreakerTransitions.Add(1,
            new KeyValuePair<string, object?>("messaging.resilience.breaker", entry.Name),
            new KeyValuePair<string, object?>("messaging.resilience.breaker.state", ToTag(to)));
        var activity = Activity.Current;
        activity?.AddEvent(new ActivityEvent("breaker." + ToTag(to), tags: new ActivityTagsCollection
        {
            ["messaging.resilience.breaker"] = entry.Name,
            ["messaging.resilience.breaker.reason"] = reason,
        }));

        switch (to)
        {
            case BreakerState.Open:
                Log.BreakerOpened(_logger, entry.Name, reason, failures, calls, breakDuration?.TotalSeconds ?? 0);
                break;
            case BreakerState.Isolated:
                Log.BreakerIsolated(_logger, entry.Name);
                break;
            case BreakerState.HalfOpen:
                Log.BreakerHalfOpened(_logger, entry.Name);
                break;
            case BreakerState.Closed when from == BreakerState.Isolated || reason == "manual reset":
                Log.BreakerReset(_logger, entry.Name);
                break;
            default:
                Log.BreakerClosed(_logger, entry.Name, reason);
                break;
        }

        StateChanged?.Invoke(new BreakerStateChanged(entry.Name, from, to, entry.Since, to == BreakerState.Open ? breakDuration : null));
    }

    private IEnumerable<Measurement<int>> ObserveStates()
    {
        foreach (var entry in _entries.Values)
        {
            yield return new Measurement<int>((int)ToGaugeValue(entry.State), new KeyValuePair<string, object?>("messaging.resilience.breaker", entry.Name));
        }
    }

    private static int ToGaugeValue(BreakerState state) => state switch
    {
        BreakerState.Closed => 0,
        BreakerState.HalfOpen => 1,
        BreakerState.Open => 2,
        _ => 3,
    };

    private static string ToTag(BreakerState state) => state switch
    {
        BreakerState.Closed => "closed",
        BreakerState.HalfOpen => "half_open",
        BreakerState.Open => "open",
        _ => "isolated",
    };

    // Only the kind of failure: exception messages and bodies may carry hosts or secrets.
    private static string DescribeOutcome<TResult>(Outcome<TResult> outcome) => outcome switch
    {
        { Exception: { } exception } => exception.GetType().Name,
        { Result: HttpResponseMessage response } => "HTTP " + (int)response.StatusCode,
        _ => "failure threshold reached",
    };

    /// <summary>Records outcomes into one breaker's entry.</summary>
    internal readonly struct BreakerOutcomeCounter
    {
        private readonly Entry _entry;

        internal BreakerOutcomeCounter(Entry entry) => _entry = entry;

        public void Record(bool failed)
        {
            Interlocked.Increment(ref _entry.Calls);
            if (failed)
            {
                Interlocked.Increment(ref _entry.Failures);
            }
        }
    }

    internal sealed class Entry(string name, DateTimeOffset since)
    {
        public string Name { get; } = name;

        public CircuitBreakerManualControl Control { get; } = new();

        public BreakerState State { get; set; } = BreakerState.Closed;

        public DateTimeOffset Since { get; set; } = since;

#pragma warning disable SA1401, CA1051 // Interlocked needs fields.
        public long Calls;
        public long Failures;
#pragma warning restore SA1401, CA1051
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2000, EventName = "BreakerOpened", Level = LogLevel.Warning,
            Message = "Circuit breaker {Breaker} opened ({Reason}) after {Failures} failures in {Calls} calls; break {BreakSeconds} s")]
        public static partial void BreakerOpened(ILogger logger, string breaker, string reason, long failures, long calls, double breakSeconds);

        [LoggerMessage(EventId = 2001, EventName = "BreakerHalfOpened", Level = LogLevel.Information,
            Message = "Circuit breaker {Breaker} half-open: letting one probe call through")]
        public static partial void BreakerHalfOpened(ILogger logger, string breaker);

        [LoggerMessage(EventId = 2002, EventName = "BreakerClosed", Level = LogLevel.Information,
            Message = "Circuit breaker {Breaker} closed ({Reason})")]
        public static partial void BreakerClosed(ILogger logger, string breaker, string reason);

        [LoggerMessage(EventId = 2003, EventName = "BreakerIsolated", Level = LogLevel.Warning,
            Message = "Circuit breaker {Breaker} isolated by an operator: calls are rejected until it is reset")]
        public static partial void BreakerIsolated(ILogger logger, string breaker);

        [LoggerMessage(EventId = 2004, EventName = "BreakerReset", Level = LogLevel.Information,
            Message = "Circuit breaker {Breaker} reset by an operator")]
        public static partial void BreakerReset(ILogger logger, string breaker);
    }
}

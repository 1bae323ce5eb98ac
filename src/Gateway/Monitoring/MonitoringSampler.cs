using System.Diagnostics.Metrics;
using Messaging.Resilience.Breakers;
using Messaging.Store.DeadLetters;
using Messaging.Resilience.Telemetry;
using Messaging.ServiceDefaults.HealthChecks;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Npgsql;
using OpenTelemetry;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// Samples, every <see cref="MonitoringOptions.SampleInterval"/>, what operators watch: the queues (management API or
/// AMQP), the outbox lag, the waiting dead letters, the fleet's breakers, the gateway's readiness checks and the
/// fleet's counters (retry budgets, rate-limit rejections). Then it evaluates the alert rules. The latest sample and
/// alerts feed the overview and the page, and the observable gauges below, so a Prometheus scrape never queries
/// PostgreSQL or RabbitMQ itself:
/// <c>messaging.queue.messages</c> (tags <c>messaging.destination.name</c>, <c>messaging.queue.state</c> = ready | unacked),
/// <c>messaging.queue.consumers</c>, <c>messaging.outbox.pending</c>, <c>messaging.outbox.oldest_pending_age</c> (s),
/// <c>messaging.dead_letters.waiting</c> (tag <c>messaging.command.type</c>), <c>messaging.alerts.firing</c> (tags
/// <c>messaging.alert.rule</c>, <c>messaging.alert.severity</c>) and <c>messaging.health.status</c> (tag
/// <c>messaging.health.check</c>; 0 healthy, 1 degraded, 2 unhealthy), on the meter <c>Messaging.Gateway</c>.
/// </summary>
internal sealed partial class MonitoringSampler : BackgroundService
{
    /// <summary>The gateway\'s meter: queue depths, outbox backlog, dead letters waiting.</summary>
    public const string MeterName = "Messaging.Gateway";

    private static readonly TimeSpan PartTimeout = TimeSpan.FromSeconds(5);
    private readonly QueueStatisticsReader _queues;
    private readonly NpgsqlDataSource _dataSource;
    private readonly DeadLetterStore _deadLetters;
    private readonly SharedBreakerStates _breakers;
    private readonly HealthCheckService _health;
    private readonly FleetCounters _fleet;
    private readonly AlertEvaluator _alerts;
    private readonly IOptionsMonitor<MonitoringOptions> _options;
    private readonly IOptionsMonitor<AlertsOptions> _alertOptions;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MonitoringSampler> _logger;
    private readonly TimeSeries _deadLetterTotals = new();
    private readonly Dictionary<string, TimeSeries> _counters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _cumulative = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Instance, string Series), long> _lastTotals = [];
    private readonly HashSet<string> _instances = new(StringComparer.Ordinal);
    private bool _countersBaselined;
    private volatile MonitoringState _latest;

    public MonitoringSampler(
        QueueStatisticsReader queues,
        NpgsqlDataSource dataSource,
        DeadLetterStore deadLetters,
        SharedBreakerStates breakers,
        HealthCheckService health,
        FleetCounters fleet,
        AlertEvaluator alerts,
        IOptionsMonitor<MonitoringOptions> options,
        IOptionsMonitor<AlertsOptions> alertOptions,
        IMeterFactory meterFactory,
        TimeProvider timeProvider,
        ILogger<MonitoringSampler> logger)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _queues = queues;
        _dataSource = dataSource;
        _deadLetters = deadLetters;
        _breakers = breakers;
        _health = health;
        _fleet = fleet;
        _alerts = alerts;
        _options = options;
        _alertOptions = alertOptions;
        _timeProvider = timeProvider;
        _logger = logger;
        _latest = new MonitoringState(MonitoringSample.Empty(timeProvider.GetUtcNow()), []);

        var meter = meterFactory.Create(MeterName);
        meter.CreateObservableGauge("messaging.queue.messages", ObserveQueueMessages, "{message}", "Messages in a queue, by state (ready, unacked).");
        meter.CreateObservableGauge("messaging.queue.consumers", ObserveQueueConsumers, "{consumer}", "Consumers attached to a queue.");
        meter.CreateObservableGauge("messaging.outbox.pending", ObserveOutboxPending, "{row}", "Outbox rows not yet published (delayed retries included).");
        meter.CreateObservableGauge("messaging.outbox.oldest_pending_age", ObserveOutboxAge, "s", "How long the oldest due outbox row has waited.");
        meter.CreateObservableGauge("messaging.dead_letters.waiting", ObserveDeadLetters, "{dead_letter}", "Dead letters waiting for a redrive, by command type.");
        meter.CreateObservableGauge("messaging.alerts.firing", ObserveAlerts, "{alert}", "Built-in alerts firing, by rule and severity.");
        meter.CreateObservableGauge("messaging.health.status", ObserveHealth, description: "The gateway's readiness checks: 0 healthy, 1 degraded, 2 unhealthy.");
    }

    /// <summary>The latest sample and the alerts firing after it.</summary>
    public MonitoringState Latest => _latest;

    /// <summary>Takes one sample and evaluates the alerts on it (the loop's body; tests call it directly).</summary>
    public async Task<MonitoringState> SampleAsync(CancellationToken cancellationToken)
    {
        var queues = await PartAsync("queues", ct => _queues.ReadAsync(ct), cancellationToken).ConfigureAwait(false);
        var outbox = await PartAsync("outbox", ct => OutboxStatistics.ReadAsync(_dataSource, _timeProvider, tenant: null, ct), cancellationToken).ConfigureAwait(false);
        var deadLetters = await PartAsync("dead-letters", async ct => (DeadLetterSummary?)await _deadLetters.SummaryAsync(tenant: null, ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var breakers = await PartAsync("breakers", async ct => (IReadOnlyList<BreakerSnapshot>?)await _breakers.FleetSnapshotAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);
        var health = await PartAsync("health", async ct =>
        {
            var report = await _health.CheckHealthAsync(r => r.Tags.Contains(HealthCheckTags.Ready), ct).ConfigureAwait(false);
            return (IReadOnlyList<HealthEntry>?)report.Entries.Select(e => new HealthEntry(e.Key, e.Value.Status.ToString())).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        }, cancellationToken).ConfigureAwait(false);
        var fleet = await PartAsync("counters", async ct => (IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>>?)await _fleet.ReadAsync(ct).ConfigureAwait(false),
            cancellationToken).ConfigureAwait(false);

        var now = _timeProvider.GetUtcNow();
        var retention = Retention();
        if (deadLetters is not null)
        {
            _deadLetterTotals.Add(now, deadLetters.Total, retention);
        }

        if (fleet is not null)
        {
            AccumulateCounters(fleet, now, retention);
        }

        var sample = new MonitoringSample(now, queues, outbox, deadLetters, breakers, health, _deadLetterTotals.Snapshot(),
            _counters.ToDictionary(c => c.Key, c => c.Value.Snapshot(), StringComparer.Ordinal));
        var state = new MonitoringState(sample, _alerts.Evaluate(sample));
        _latest = state;
        return state;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // The sampler's own calls (management API, PostgreSQL, Redis) are not traced: a trace every few
                // seconds would bury the commands' traces.
                using (SuppressInstrumentationScope.Begin())
                {
                    await SampleAsync(stoppingToken).ConfigureAwait(false);
                }

                await Task.Delay(_options.CurrentValue.SampleInterval, _timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    // A running total per series across the fleet, robust to processes coming and going: each instance adds what its
    // own total rose by since the last sample (all of it after a restart, and all of it for a process that appears
    // after the first sample; the first sample only sets the baseline).
    private void AccumulateCounters(IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> fleet, DateTimeOffset now, TimeSpan retention)
    {
        foreach (var (instance, totals) in fleet)
        {
            var newInstance = _instances.Add(instance);
            foreach (var (series, total) in totals)
            {
                long increase;
                if (_lastTotals.TryGetValue((instance, series), out var last))
                {
                    increase = total >= last ? total - last : total;
                }
                else
                {
                    increase = _countersBaselined || !newInstance ? total : 0;
                }

                _lastTotals[(instance, series)] = total;
                _cumulative[series] = _cumulative.GetValueOrDefault(series) + increase;
            }
        }

        _countersBaselined = true;
        foreach (var (series, value) in _cumulative)
        {
            if (!_counters.TryGetValue(series, out var timeSeries))
            {
                timeSeries = new TimeSeries();
                _counters[series] = timeSeries;
            }

            timeSeries.Add(now, value, retention);
        }
    }

    private TimeSpan Retention()
    {
        var alerts = _alertOptions.CurrentValue;
        var longest = new[] { alerts.DeadLetterWindow, alerts.RetryBudgetWindow, TimeSpan.FromMinutes(1) }.Max();
        return longest + _options.CurrentValue.SampleInterval;
    }

    private async Task<T?> PartAsync<T>(string part, Func<CancellationToken, Task<T?>> read, CancellationToken cancellationToken)
        where T : class
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PartTimeout);
        try
        {
            return await read(timeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && ex is not OutOfMemoryException)
        {
            // One unreadable part must not stop the others (nor the alerts on them): it is left out of this sample.
            Log.PartFailed(_logger, part, ex.GetType().Name);
            return null;
        }
    }

    private IEnumerable<Measurement<long>> ObserveQueueMessages()
    {
        foreach (var queue in _latest.Sample.Queues ?? [])
        {
            var name = new KeyValuePair<string, object?>("messaging.destination.name", queue.Name);
            yield return new Measurement<long>(queue.Ready, name, new KeyValuePair<string, object?>("messaging.queue.state", "ready"));
            if (queue.Unacked is { } unacked)
            {
                yield return new Measurement<long>(unacked, name, new KeyValuePair<string, object?>("messaging.queue.state", "unacked"));
            }
        }
    }

    private IEnumerable<Measurement<int>> ObserveQueueConsumers() =>
        (_latest.Sample.Queues ?? []).Select(q => new Measurement<int>(q.Consumers, new KeyValuePair<string, object?>("messaging.destination.name", q.Name)));

    private IEnumerable<Measurement<long>> ObserveOutboxPending() =>
        _latest.Sample.Outbox is { } outbox ? [new Measurement<long>(outbox.Pending)] : [];

    private IEnumerable<Measurement<double>> ObserveOutboxAge() =>
        _latest.Sample.Outbox is { } outbox ? [new Measurement<double>(outbox.OldestPendingSeconds)] : [];

    private IEnumerable<Measurement<long>> ObserveDeadLetters() =>
        (_latest.Sample.DeadLetters?.ByType ?? new Dictionary<string, long>())
            .Select(t => new Measurement<long>(t.Value, new KeyValuePair<string, object?>(CommandTelemetry.CommandType, t.Key)));

    private IEnumerable<Measurement<int>> ObserveAlerts() =>
        _latest.Alerts.GroupBy(a => (a.Rule, a.Severity)).Select(g => new Measurement<int>(g.Count(),
            new KeyValuePair<string, object?>("messaging.alert.rule", g.Key.Rule),
            new KeyValuePair<string, object?>("messaging.alert.severity", g.Key.Severity)));

    private IEnumerable<Measurement<int>> ObserveHealth() =>
        (_latest.Sample.Health ?? []).Select(h => new Measurement<int>(h.Status switch { "Healthy" => 0, "Degraded" => 1, _ => 2 },
            new KeyValuePair<string, object?>("messaging.health.check", h.Name)));

    private static partial class Log
    {
        [LoggerMessage(EventId = 7030, EventName = "MonitoringPartUnreadable", Level = LogLevel.Debug,
            Message = "Monitoring could not read {Part} this time ({ErrorType}); it is left out of the sample")]
        public static partial void PartFailed(ILogger logger, string part, string errorType);
    }
}

/// <summary>The latest sample and the alerts firing after it.</summary>
/// <param name="Sample">The sample.</param>
/// <param name="Alerts">The alerts.</param>
internal sealed record MonitoringState(MonitoringSample Sample, IReadOnlyList<AlertView> Alerts);

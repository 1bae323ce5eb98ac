using System.Globalization;
using System.Text;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Telemetry;

namespace Messaging.Gateway.Monitoring;

/// <summary>A condition one rule sees in a sample.</summary>
/// <param name="Rule">The rule's name.</param>
/// <param name="Subject">What it is about (a breaker, a queue, a dependency); one alert per rule and subject.</param>
/// <param name="Severity"><c>critical</c> or <c>warning</c>.</param>
/// <param name="Message">What is wrong and what to do.</param>
/// <param name="For">How long the condition must hold before the alert fires.</param>
/// <param name="Since">When the condition started, when the data says so (a breaker's state change); otherwise the first sample that showed it.</param>
internal sealed record AlertCandidate(string Rule, string Subject, string Severity, string Message, TimeSpan For, DateTimeOffset? Since = null);

/// <summary>
/// The built-in alert rules: pure functions of a <see cref="MonitoringSample"/> and the thresholds. Each returns the
/// conditions it sees, or null when its input is missing from the sample (the evaluator then keeps that rule's
/// alerts as they were). deploy/prometheus/alerts.yml holds the same rules for Prometheus, with the expressions and
/// thresholds of <see cref="Prometheus"/> (a test compares them value by value), plus <see cref="GatewayDown"/> and
/// <see cref="WorkersDown"/>, which only Prometheus can evaluate: a process cannot report its own death. docs/operations.md
/// says what each means and what to do.
/// </summary>
internal static class AlertRules
{
    public const string BreakerOpen = nameof(BreakerOpen);
    public const string DeadLettersGrowing = nameof(DeadLettersGrowing);
    public const string OutboxLag = nameof(OutboxLag);
    public const string QueueWithoutConsumers = nameof(QueueWithoutConsumers);
    public const string RateLimitRejectionSurge = nameof(RateLimitRejectionSurge);
    public const string DependencyUnhealthy = nameof(DependencyUnhealthy);
    public const string RetryBudgetExhausted = nameof(RetryBudgetExhausted);
    public const string GatewayDown = nameof(GatewayDown);
    public const string WorkersDown = nameof(WorkersDown);

    /// <summary>The Prometheus scrape job of the gateways (its <c>up</c> series feeds <see cref="GatewayDown"/>).</summary>
    public const string GatewayJob = "gateway";

    /// <summary>The Prometheus scrape job of the workers (its <c>up</c> series feeds <see cref="WorkersDown"/>).</summary>
    public const string WorkersJob = "workers";

    /// <summary>How long a scrape target may stay down, or a job without targets, before GatewayDown/WorkersDown fire.</summary>
    public static readonly TimeSpan ProcessDownFor = TimeSpan.FromMinutes(1);

    public const string Critical = "critical";
    public const string Warning = "warning";

    /// <summary>Every rule with its evaluation.</summary>
    public static IReadOnlyList<(string Rule, Func<MonitoringSample, AlertsOptions, IReadOnlyList<AlertCandidate>?> Evaluate)> All { get; } =
    [
        (BreakerOpen, Breakers),
        (DeadLettersGrowing, DeadLetters),
        (OutboxLag, Outbox),
        (QueueWithoutConsumers, Queues),
        (RateLimitRejectionSurge, RateLimitRejections),
        (DependencyUnhealthy, Health),
        (RetryBudgetExhausted, RetryBudgets),
    ];

    /// <summary>A breaker that is not closed (open, half-open between failed probes, or isolated) for longer than <see cref="AlertsOptions.BreakerOpenFor"/>.</summary>
    public static IReadOnlyList<AlertCandidate>? Breakers(MonitoringSample sample, AlertsOptions options)
    {
        if (sample.Breakers is not { } breakers)
        {
            return null;
        }

        return breakers
            .Where(b => b.State is not BreakerState.Closed)
            .Select(b => b.State == BreakerState.Isolated
                ? new AlertCandidate(BreakerOpen, b.Name, Warning,
                    $"Circuit breaker {b.Name} is isolated by an operator: calls to it are rejected and commands that need it wait in their queue. "
                    + $"Reset it (POST /api/monitoring/breakers/{b.Name}/reset, or Reset on /monitor) once the dependency is fit again.",
                    options.BreakerOpenFor, b.Since)
                : new AlertCandidate(BreakerOpen, b.Name, Critical,
                    $"Circuit breaker {b.Name} is {(b.State == BreakerState.HalfOpen ? "probing after failures" : "open")}: calls to {Dependency(b.Name)} fail fast and the "
                    + "endpoints that need it are paused (their messages wait, nothing is lost). Check that dependency (its health, the workers' log events "
                    + "BreakerOpened/ProviderCallFailed); the breaker closes by itself after a successful probe.",
                    options.BreakerOpenFor, b.Since))
            .ToList();
    }

    /// <summary>The number of waiting dead letters grew by at least <see cref="AlertsOptions.DeadLetterGrowth"/> within <see cref="AlertsOptions.DeadLetterWindow"/>.</summary>
    public static IReadOnlyList<AlertCandidate>? DeadLetters(MonitoringSample sample, AlertsOptions options)
    {
        if (sample.DeadLetters is not { } summary)
        {
            return null;
        }

        var growth = sample.DeadLetterTotals.Growth(options.DeadLetterWindow, sample.At);
        if (growth < options.DeadLetterGrowth)
        {
            return [];
        }

        var byType = string.Join(", ", summary.ByType.OrderByDescending(t => t.Value).Select(t => $"{t.Key}: {t.Value}"));
        return
        [
            new AlertCandidate(DeadLettersGrowing, "dead-letters", Warning,
                $"{growth} new dead letter(s) within {Describe(options.DeadLetterWindow)}; {summary.Total} waiting ({byType}). Read their reasons "
                + "(GET /api/monitoring/dead-letters), fix the cause (provider down, bad input from a tenant), then redrive them by type "
                + "(Redrive on /monitor, or POST /api/monitoring/dead-letters/redrive).",
                TimeSpan.Zero),
        ];
    }

    /// <summary>The oldest due outbox row has waited longer than <see cref="AlertsOptions.OutboxOldestPendingAge"/>.</summary>
    public static IReadOnlyList<AlertCandidate>? Outbox(MonitoringSample sample, AlertsOptions options)
    {
        if (sample.Outbox is not { } outbox)
        {
            return null;
        }

        if (outbox.OldestPendingSeconds < options.OutboxOldestPendingAge.TotalSeconds)
        {
            return [];
        }

        return
        [
            new AlertCandidate(OutboxLag, "outbox", Critical,
                $"The oldest of {outbox.Pending} outbox row(s) has waited {outbox.OldestPendingSeconds.ToString("0", CultureInfo.InvariantCulture)} s "
                + $"(threshold {options.OutboxOldestPendingAge.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s): accepted commands are not reaching RabbitMQ. "
                + "Check the broker (/health/ready, breaker rabbitmq) and the gateway log (OutboxRelayPassFailed, OutboxPublishFailed); "
                + "nothing is lost, the relay publishes the backlog once the broker confirms again.",
                TimeSpan.Zero),
        ];
    }

    /// <summary>A command or event queue (not an <c>_error</c>/<c>_skipped</c> queue) holds messages and has no consumer for longer than <see cref="AlertsOptions.QueueWithoutConsumersFor"/>.</summary>
    public static IReadOnlyList<AlertCandidate>? Queues(MonitoringSample sample, AlertsOptions options)
    {
        if (sample.Queues is not { } queues)
        {
            return null;
        }

        return queues
            .Where(q => q.Ready > 0 && q.Consumers == 0 && !q.Name.EndsWith("_error", StringComparison.Ordinal) && !q.Name.EndsWith("_skipped", StringComparison.Ordinal))
            .Select(q => new AlertCandidate(QueueWithoutConsumers, q.Name, Critical,
                $"Queue {q.Name} holds {q.Ready} message(s) and no consumer reads it. Check that the workers run and are ready (/health/ready on port 5081) "
                + "and their log; if the queue's endpoint is paused because a breaker is open, the BreakerOpen alert says which dependency to look at.",
                options.QueueWithoutConsumersFor))
            .ToList();
    }

    /// <summary>At least <see cref="AlertsOptions.RejectionSurgePerMinute"/> requests refused by rate limits across the fleet within a minute.</summary>
    public static IReadOnlyList<AlertCandidate>? RateLimitRejections(MonitoringSample sample, AlertsOptions options)
    {
        var policies = sample.Counters
            .Where(c => c.Key.StartsWith(FleetCounters.RateLimitRejections + "|", StringComparison.Ordinal))
            .Select(c => (Policy: c.Key[(FleetCounters.RateLimitRejections.Length + 1)..], Count: c.Value.Increase(TimeSpan.FromMinutes(1), sample.At)))
            .Where(c => c.Count > 0)
            .OrderByDescending(c => c.Count)
            .ToList();
        var total = policies.Sum(p => p.Count);
        if (total < options.RejectionSurgePerMinute)
        {
            return [];
        }

        return
        [
            new AlertCandidate(RateLimitRejectionSurge, "rate-limits", Warning,
                $"{total} request(s) refused by rate limits in the last minute (threshold {options.RejectionSurgePerMinute}), mostly by policy {policies[0].Policy}. "
                + "A client may be misbehaving or its quota too small: find the tenant or address in the gateway log (rate-limit rejections), then raise its "
                + "quota or block it.",
                TimeSpan.Zero),
        ];
    }

    /// <summary>A readiness check of the gateway reports Unhealthy (critical) or Degraded (warning) for longer than <see cref="AlertsOptions.UnhealthyFor"/>.</summary>
    public static IReadOnlyList<AlertCandidate>? Health(MonitoringSample sample, AlertsOptions options)
    {
        if (sample.Health is not { } health)
        {
            return null;
        }

        return health
            .Where(h => h.Status is "Unhealthy" or "Degraded")
            .Select(h => new AlertCandidate(DependencyUnhealthy, h.Name, h.Status == "Unhealthy" ? Critical : Warning,
                $"Health check {h.Name} reports {h.Status}: the gateway cannot rely on {h.Name}. Check that service (locally: scripts/services status) and "
                + "GET /health/ready; commands already accepted wait in the outbox or their queue and resume when it is back.",
                options.UnhealthyFor))
            .ToList();
    }

    /// <summary>A dependency's retry budget refused at least one retry within <see cref="AlertsOptions.RetryBudgetWindow"/> (anywhere in the fleet).</summary>
    public static IReadOnlyList<AlertCandidate>? RetryBudgets(MonitoringSample sample, AlertsOptions options) =>
        sample.Counters
            .Where(c => c.Key.StartsWith(FleetCounters.RetryBudgetExhausted + "|", StringComparison.Ordinal))
            .Select(c => (Dependency: c.Key[(FleetCounters.RetryBudgetExhausted.Length + 1)..], Count: c.Value.Increase(options.RetryBudgetWindow, sample.At)))
            .Where(c => c.Count > 0)
            .Select(c => new AlertCandidate(RetryBudgetExhausted, c.Dependency, Warning,
                $"The retry budget of {c.Dependency} refused {c.Count} retr{(c.Count == 1 ? "y" : "ies")} within {Describe(options.RetryBudgetWindow)}: "
                + $"{c.Dependency} fails a large share of calls, and retries are capped so the outage does not become a retry storm (commands fall back "
                + "to delayed retries). Check that dependency and its breaker.",
                TimeSpan.Zero))
            .ToList();

    /// <summary>
    /// Every rule as deploy/prometheus/alerts.yml must write it, in the file's order, with the thresholds of
    /// <paramref name="options"/> (the file holds the defaults). Prometheus series are per process, hence the
    /// <c>max by</c> that dedupes the gauges every gateway reports and the <c>sum(increase(…))</c> over the fleet's counters.
    /// </summary>
    public static IReadOnlyList<PrometheusAlertRule> Prometheus(AlertsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        const string Breaker = "max by (messaging_resilience_breaker) (messaging_resilience_breaker_state)";
        const string DeadLetters = "sum(max by (messaging_command_type) (messaging_dead_letters_waiting))";
        const string Health = "max by (messaging_health_check) (messaging_health_status)";
        return
        [
            new(BreakerOpen, Critical, $"{Breaker} >= 1 and {Breaker} <= 2", options.BreakerOpenFor),
            new(BreakerOpen, Warning, $"{Breaker} == 3", options.BreakerOpenFor),
            new(DeadLettersGrowing, Warning,
                $"{DeadLetters} - min_over_time({DeadLetters}[{PromDuration(options.DeadLetterWindow)}:30s]) >= {Number(options.DeadLetterGrowth)}", TimeSpan.Zero),
            new(OutboxLag, Critical, $"max(messaging_outbox_oldest_pending_age_seconds) >= {Number(options.OutboxOldestPendingAge.TotalSeconds)}", TimeSpan.Zero),
            new(QueueWithoutConsumers, Critical,
                "max by (messaging_destination_name) (messaging_queue_messages{messaging_queue_state=\"ready\", messaging_destination_name!~\".*_(error|skipped)\"}) > 0 "
                + "and on (messaging_destination_name) max by (messaging_destination_name) (messaging_queue_consumers) == 0",
                options.QueueWithoutConsumersFor),
            new(RateLimitRejectionSurge, Warning,
                $"sum(increase(messaging_rate_limiting_decisions_total{{messaging_rate_limiting_result=\"rejected\"}}[1m])) >= {Number(options.RejectionSurgePerMinute)}",
                TimeSpan.Zero),
            new(DependencyUnhealthy, Critical, $"{Health} == 2", options.UnhealthyFor),
            new(DependencyUnhealthy, Warning, $"{Health} == 1", options.UnhealthyFor),
            new(RetryBudgetExhausted, Warning,
                $"sum by (messaging_resilience_dependency) (increase(messaging_resilience_retry_budget_exhausted_total[{PromDuration(options.RetryBudgetWindow)}])) > 0",
                TimeSpan.Zero),
            new(GatewayDown, Critical, $"up{{job=\"{GatewayJob}\"}} == 0 or absent(up{{job=\"{GatewayJob}\"}})", ProcessDownFor),
            new(WorkersDown, Critical, $"up{{job=\"{WorkersJob}\"}} == 0 or absent(up{{job=\"{WorkersJob}\"}})", ProcessDownFor),
        ];
    }

    /// <summary>A duration as Prometheus writes it: <c>1h</c>, <c>10m</c>, <c>1m30s</c>, <c>500ms</c>.</summary>
    public static string PromDuration(TimeSpan value)
    {
        if (value <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new StringBuilder();
        (TimeSpan Unit, string Suffix)[] units = [(TimeSpan.FromDays(1), "d"), (TimeSpan.FromHours(1), "h"), (TimeSpan.FromMinutes(1), "m"), (TimeSpan.FromSeconds(1), "s"), (TimeSpan.FromMilliseconds(1), "ms")];
        foreach (var (unit, suffix) in units)
        {
            var count = value.Ticks / unit.Ticks;
            if (count > 0)
            {
                text.Append(count.ToString(CultureInfo.InvariantCulture)).Append(suffix);
                value -= TimeSpan.FromTicks(count * unit.Ticks);
            }
        }

        return text.ToString();
    }

    private static string Number(double value) => value.ToString("0.###", CultureInfo.InvariantCulture);

    private static string Dependency(string breaker)
    {
        var at = breaker.IndexOf('@', StringComparison.Ordinal);
        return at > 0 ? breaker[..at] + " (" + breaker[(at + 1)..] + ")" : breaker;
    }

    private static string Describe(TimeSpan window) =>
        window.TotalMinutes >= 1 && window.Seconds == 0
            ? $"{window.TotalMinutes.ToString("0", CultureInfo.InvariantCulture)} min"
            : $"{window.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s";
}

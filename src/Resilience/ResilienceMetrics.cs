using System.Diagnostics.Metrics;

namespace Messaging.Resilience;

/// <summary>
/// Our resilience instruments (meter <c>Messaging.Resilience</c>), next to Polly's own
/// <c>resilience.polly.*</c>: breaker state and transitions, rejections, retries, budget exhaustion, slow calls.
/// </summary>
public sealed class ResilienceMetrics
{
    /// <summary>The meter name to enable in OpenTelemetry.</summary>
    public const string MeterName = "Messaging.Resilience";

    /// <summary>Creates the instruments on a meter from <paramref name="meterFactory"/>.</summary>
    public ResilienceMetrics(IMeterFactory meterFactory)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        Meter = meterFactory.Create(MeterName);
        BreakerTransitions = Meter.CreateCounter<long>("messaging.resilience.breaker.transitions", description: "Circuit breaker state changes.");
        BreakerRejections = Meter.CreateCounter<long>("messaging.resilience.breaker.rejections", description: "Calls rejected because a breaker was open or isolated.");
        Retries = Meter.CreateCounter<long>("messaging.resilience.retries", description: "Immediate retries made by pipelines.");
        RetryBudgetExhausted = Meter.CreateCounter<long>("messaging.resilience.retry_budget.exhausted", description: "Retries refused because the dependency's retry budget was spent.");
        SlowCalls = Meter.CreateCounter<long>("messaging.resilience.slow_calls", description: "Calls slower than the breaker's slow-call threshold (counted as failures).");
        Timeouts = Meter.CreateCounter<long>("messaging.resilience.timeouts", description: "Attempts or calls that timed out.");
    }

    /// <summary>The meter; other parts of the library add observable instruments to it.</summary>
    public Meter Meter { get; }

    internal Counter<long> BreakerTransitions { get; }

    internal Counter<long> BreakerRejections { get; }

    internal Counter<long> Retries { get; }

    internal Counter<long> RetryBudgetExhausted { get; }

    internal Counter<long> SlowCalls { get; }

    internal Counter<long> Timeouts { get; }

    /// <summary>Counts a timeout of <paramref name="dependency"/>'s calls: <c>attempt</c> (one try) or <c>total</c> (the whole call).</summary>
    public void RecordTimeout(string dependency, string kind) =>
        Timeouts.Add(1,
            new KeyValuePair<string, object?>("messaging.resilience.dependency", dependency),
            new KeyValuePair<string, object?>("messaging.resilience.timeout.kind", kind));

    /// <summary>Counts a retry refused because <paramref name="dependency"/>'s retry budget was spent.</summary>
    public void RecordRetryBudgetExhausted(string dependency) =>
        RetryBudgetExhausted.Add(1, new KeyValuePair<string, object?>("messaging.resilience.dependency", dependency));
}

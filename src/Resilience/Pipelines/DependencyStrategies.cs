using Messaging.Resilience.Breakers;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.Telemetry;
using Polly;

namespace Messaging.Resilience.Pipelines;

/// <summary>
/// Measures each attempt and marks the execution when it was slower than the breaker's threshold, so
/// the breaker can count slow successes as failures (Resilience4j's slow-call rate; Polly has none).
/// </summary>
/// <remarks>
/// The mark is set only on a slow attempt and taken (cleared) by the breaker's predicate, which runs right
/// after every attempt: a fast attempt touches no property at all, and an attempt that completes
/// synchronously runs no async state machine here.
/// </remarks>
internal sealed class SlowCallDetectionStrategy(string dependency, TimeSpan threshold, TimeProvider timeProvider, ResilienceMetrics metrics)
    : ResilienceStrategy
{
    /// <summary>Set on the execution's properties after a slow attempt (boxed once: no allocation per call).</summary>
    public static readonly ResiliencePropertyKey<object> SlowCallKey = new("Messaging.SlowCall");

    private static readonly object Slow = true;
    private static readonly object Taken = false;

    /// <summary>
    /// Whether the attempt that just ended was slow. Clears the mark, so a later attempt on the same
    /// context (a retry, or a caller that reuses its context) starts unmarked. Call once per attempt.
    /// </summary>
    public static bool TakeSlow(ResilienceContext context)
    {
        if (!context.Properties.TryGetValue(SlowCallKey, out var value) || !ReferenceEquals(value, Slow))
        {
            return false;
        }

        context.Properties.Set(SlowCallKey, Taken);
        return true;
    }

    protected override ValueTask<Outcome<TResult>> ExecuteCore<TResult, TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<TResult>>> callback, ResilienceContext context, TState state)
    {
        var started = timeProvider.GetTimestamp();
        var attempt = callback(context, state);
        if (!attempt.IsCompletedSuccessfully)
        {
            return Observed(attempt, context, started);
        }

        Observe(context, started);
        return attempt;
    }

    private async ValueTask<Outcome<TResult>> Observed<TResult>(ValueTask<Outcome<TResult>> attempt, ResilienceContext context, long started)
    {
        var outcome = await attempt.ConfigureAwait(context.ContinueOnCapturedContext);
        Observe(context, started);
        return outcome;
    }

    private void Observe(ResilienceContext context, long started)
    {
        if (timeProvider.GetElapsedTime(started) > threshold)
        {
            context.Properties.Set(SlowCallKey, Slow);
            metrics.SlowCalls.Add(1, new KeyValuePair<string, object?>("messaging.resilience.dependency", dependency));
        }
    }
}

/// <summary>Everything a dependency pipeline is built from.</summary>
/// <param name="Name">The dependency (and breaker) name, for example <c>postgres</c> or <c>payments@127.0.0.1:5091</c>.</param>
/// <param name="Options">Its current settings.</param>
/// <param name="Classifier">What counts as transient.</param>
/// <param name="Budget">Its retry budget (shared by every layer that retries it).</param>
/// <param name="Breakers">The registry that observes its breaker.</param>
/// <param name="Metrics">Our instruments.</param>
/// <param name="TimeProvider">The clock.</param>
public sealed record DependencyPipelineContext(
    string Name,
    DependencyPipelineOptions Options,
    TransientClassifier Classifier,
    RetryBudget Budget,
    BreakerRegistry Breakers,
    ResilienceMetrics Metrics,
    TimeProvider TimeProvider);

/// <summary>Deadline-aware helpers shared by the pipeline builders.</summary>
internal static class DeadlineAware
{
    /// <summary>Whether a retry after <paramref name="delay"/> could still start before the deadline.</summary>
    public static bool HasTimeFor(ResilienceContext context, TimeSpan delay, TimeProvider timeProvider) =>
        Deadline.From(context) is not { } deadline || deadline.Remaining(timeProvider) > delay;
}

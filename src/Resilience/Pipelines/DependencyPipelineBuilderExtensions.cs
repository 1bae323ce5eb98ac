using Messaging.Resilience.Deadlines;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Messaging.Resilience.Pipelines;

/// <summary>
/// Adds a dependency's strategies to a Polly pipeline, outermost first: total timeout (which also counts
/// the call into the retry budget) → retry (which also counts calls the open breaker rejected) (backoff with jitter, <c>Retry-After</c>, budget, deadline) →
/// circuit breaker (failure ratio and slow calls) → attempt timeout with slow-call detection (one layer of
/// ours). Both timeouts are bounded by the deadline the execution carries (<see cref="Deadline.PropertyKey"/>).
/// </summary>
public static class DependencyPipelineBuilderExtensions
{
    /// <summary>Adds the strategies to a typed pipeline (for example <c>HttpResponseMessage</c>).</summary>
    public static ResiliencePipelineBuilder<TResult> AddDependencyStrategies<TResult>(
        this ResiliencePipelineBuilder<TResult> builder, DependencyPipelineContext dependency)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dependency);
        builder.AddTimeout(TotalTimeout(dependency));
        builder.AddRetry(Retry(new RetryStrategyOptions<TResult>(), dependency));
        builder.AddCircuitBreaker(Breaker(new CircuitBreakerStrategyOptions<TResult>(), dependency));
        builder.AddStrategy(context => AttemptTimeout(dependency, context), new AttemptTimeoutOptions());
        return builder;
    }

    /// <summary>Adds the strategies to an untyped pipeline (PostgreSQL, Redis, RabbitMQ publishes).</summary>
    public static ResiliencePipelineBuilder AddDependencyStrategies(this ResiliencePipelineBuilder builder, DependencyPipelineContext dependency)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(dependency);
        builder.AddTimeout(TotalTimeout(dependency));
        builder.AddRetry(Retry(new RetryStrategyOptions(), dependency));
        builder.AddCircuitBreaker(Breaker(new CircuitBreakerStrategyOptions(), dependency));
        builder.AddStrategy(context => AttemptTimeout(dependency, context), new AttemptTimeoutOptions());
        return builder;
    }

    /// <summary>
    /// The backoff before retry number <paramref name="attempt"/> (0-based): exponential from the base
    /// delay, capped, and with jitter in [50 %, 100 %] of that when enabled.
    /// </summary>
    public static TimeSpan Backoff(DependencyPipelineOptions.RetrySettings retry, int attempt, double random)
    {
        ArgumentNullException.ThrowIfNull(retry);
        var exponential = retry.BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(exponential, retry.MaxDelay.TotalMilliseconds);
        return TimeSpan.FromMilliseconds(retry.UseJitter ? capped * (0.5 + (random / 2)) : capped);
    }

    // The total timeout's generator runs exactly once per call, before anything else: the call is
    // counted into the retry budget there, which saves a pipeline layer on the hot path. One clock
    // reading serves both the budget's window and the deadline.
    private static TimeoutStrategyOptions TotalTimeout(DependencyPipelineContext dependency)
    {
        var options = Timeout(dependency, dependency.Options.TotalTimeout);
        var limit = dependency.Options.TotalTimeout;
        options.TimeoutGenerator = args =>
        {
            var now = dependency.TimeProvider.GetUtcNow();
            dependency.Budget.RecordCall(now);
            return ValueTask.FromResult(Deadline.Bound(args.Context, limit, now));
        };
        return options;
    }

    private static TimeoutStrategyOptions Timeout(DependencyPipelineContext dependency, TimeSpan limit) => new()
    {
        Name = "TotalTimeout",
        Timeout = limit,
        OnTimeout = _ =>
        {
            dependency.Metrics.RecordTimeout(dependency.Name, "total");
            return ValueTask.CompletedTask;
        },
    };

    private static TOptions Retry<TOptions, TResult>(TOptions options, DependencyPipelineContext dependency)
        where TOptions : RetryStrategyOptions<TResult>
    {
        var settings = dependency.Options.Retry;
        options.MaxRetryAttempts = Math.Max(1, settings.MaxRetryAttempts);
        options.ShouldHandle = args =>
        {
            if (args.Outcome.Exception is BrokenCircuitException)
            {
                // Every attempt's outcome passes here: the place to count calls the open breaker refused.
                dependency.Breakers.RecordRejection(dependency.Name);
                return ValueTask.FromResult(false);
            }

            if (settings.MaxRetryAttempts == 0
                || args.Outcome.Exception is DeadlineExceededException
                || !dependency.Classifier.IsTransient(args.Outcome.Exception, args.Outcome.Result))
            {
                return ValueTask.FromResult(false);
            }

            var delay = dependency.Classifier.RetryAfter(args.Outcome.Result) ?? Backoff(settings, args.AttemptNumber, 1.0);
            if (delay > settings.MaxRetryAfter || !DeadlineAware.HasTimeFor(args.Context, delay, dependency.TimeProvider))
            {
                // Not worth waiting here: the message-level delayed retry (or the caller) takes over.
                return ValueTask.FromResult(false);
            }

            if (!dependency.Budget.TryWithdrawRetry())
            {
                dependency.Metrics.RecordRetryBudgetExhausted(dependency.Name);
                return ValueTask.FromResult(false);
            }

            return ValueTask.FromResult(true);
        };
        options.DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(
            dependency.Classifier.RetryAfter(args.Outcome.Result) ?? Backoff(settings, args.AttemptNumber, Random.Shared.NextDouble()));
        options.OnRetry = _ =>
        {
            dependency.Metrics.Retries.Add(1, new KeyValuePair<string, object?>("messaging.resilience.dependency", dependency.Name));
            return ValueTask.CompletedTask;
        };
        return options;
    }

    private static RetryStrategyOptions<TResult> Retry<TResult>(RetryStrategyOptions<TResult> options, DependencyPipelineContext dependency) =>
        Retry<RetryStrategyOptions<TResult>, TResult>(options, dependency);

    private static RetryStrategyOptions Retry(RetryStrategyOptions options, DependencyPipelineContext dependency) =>
        Retry<RetryStrategyOptions, object>(options, dependency);

    private static TOptions Breaker<TOptions, TResult>(TOptions options, DependencyPipelineContext dependency)
        where TOptions : CircuitBreakerStrategyOptions<TResult>
    {
        var settings = dependency.Options.Breaker;
        options.Name = dependency.Name;
        options.FailureRatio = settings.FailureRatio;
        options.MinimumThroughput = settings.MinimumThroughput;
        options.SamplingDuration = settings.SamplingDuration;
        options.BreakDuration = settings.BreakDuration;
        var outcomes = dependency.Breakers.OutcomeCounter(dependency.Name);
        var countsSlowCalls = settings.SlowCallThreshold is not null;
        options.ShouldHandle = args =>
        {
            // Taken after every attempt, whatever its outcome, so a mark never outlives its attempt.
            var slow = countsSlowCalls && AttemptTimeoutStrategy.TakeSlow(args.Context);
            bool failed;
            if (args.Outcome.Exception is not { } exception)
            {
                // The success path: no exception to classify, only the result (an HTTP 503) and the slow mark.
                failed = slow || dependency.Classifier.IsTransientResult(args.Outcome.Result);
            }
            else
            {
                // A call cut short by its command's deadline says nothing about the dependency's health.
                var cutByDeadline = exception is DeadlineExceededException
                    || (exception is TimeoutRejectedException && Deadline.From(args.Context) is { } deadline
                        && deadline.HasPassed(dependency.TimeProvider));
                failed = !cutByDeadline && (slow || dependency.Classifier.IsTransientException(exception));
            }

            outcomes.Record(failed);
            return ValueTask.FromResult(failed);
        };
        dependency.Breakers.Attach(dependency.Name, options);
        return options;
    }

    private static CircuitBreakerStrategyOptions<TResult> Breaker<TResult>(CircuitBreakerStrategyOptions<TResult> options, DependencyPipelineContext dependency) =>
        Breaker<CircuitBreakerStrategyOptions<TResult>, TResult>(options, dependency);

    private static CircuitBreakerStrategyOptions Breaker(CircuitBreakerStrategyOptions options, DependencyPipelineContext dependency) =>
        Breaker<CircuitBreakerStrategyOptions, object>(options, dependency);

    // One layer for the attempt timeout and slow-call detection (the threshold is read when the pipeline
    // is built, and it is rebuilt on reload); see AttemptTimeoutStrategy.
    private static AttemptTimeoutStrategy AttemptTimeout(DependencyPipelineContext dependency, StrategyBuilderContext context) =>
        new(dependency.Name, dependency.Options.AttemptTimeout, dependency.Options.Breaker.SlowCallThreshold,
            dependency.TimeProvider, dependency.Metrics, context.Telemetry);

    private sealed class AttemptTimeoutOptions : ResilienceStrategyOptions
    {
        public AttemptTimeoutOptions() => Name = AttemptTimeoutStrategy.Name;
    }
}

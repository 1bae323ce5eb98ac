using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Messaging.Benchmarks;

/// <summary>
/// P2: the cost per successful call of our composed dependency pipeline (call accounting and retry
/// budget, deadline-aware timeouts, retry, breaker with slow-call detection) against a plain Polly
/// pipeline with the same strategies and settings, on the success path. Two pairs, each with its own
/// baseline: without a context (Polly rents one), and with a context that carries a command deadline
/// (as every worker call does; the plain pipeline gets the same context and ignores the deadline).
/// The first pair also runs our pipeline without slow-call detection, to show what that layer costs.
/// Three launches of twenty iterations each, so the medians are stable on a shared 2-core machine.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[SimpleJob(launchCount: 3, warmupCount: 5, iterationCount: 20)]
public class PipelineOverheadBenchmarks
{
    private static readonly ValueTask<int> Success = ValueTask.FromResult(42);
    private ResiliencePipeline _plain = null!;
    private ResiliencePipeline _ours = null!;
    private ResiliencePipeline _oursWithoutSlowCalls = null!;
    private MeterFactory _meters = null!;
    private Deadline _deadline;

    [GlobalSetup]
    public void Setup()
    {
        var options = new DependencyPipelineOptions();
        _plain = new ResiliencePipelineBuilder()
            .AddTimeout(options.TotalTimeout)
            .AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = options.Retry.MaxRetryAttempts,
                Delay = options.Retry.BaseDelay,
                MaxDelay = options.Retry.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is TimeoutException),
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions
            {
                FailureRatio = options.Breaker.FailureRatio,
                MinimumThroughput = options.Breaker.MinimumThroughput,
                SamplingDuration = options.Breaker.SamplingDuration,
                BreakDuration = options.Breaker.BreakDuration,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is TimeoutException),
            })
            .AddTimeout(options.AttemptTimeout)
            .Build();

        _meters = new MeterFactory();
        var metrics = new ResilienceMetrics(_meters);
        var breakers = new BreakerRegistry(metrics, TimeProvider.System, NullLogger<BreakerRegistry>.Instance);
        var context = new DependencyPipelineContext("bench", options, TransientFailures.Postgres,
            new RetryBudget(options.RetryBudget, TimeProvider.System), breakers, metrics, TimeProvider.System);
        _ours = new ResiliencePipelineBuilder().AddDependencyStrategies(context).Build();

        // The same with Breaker:SlowCallThreshold unset (no slow-call layer): what slow-call detection costs.
        var withoutSlowCalls = new DependencyPipelineOptions();
        withoutSlowCalls.Breaker.SlowCallThreshold = null;
        _oursWithoutSlowCalls = new ResiliencePipelineBuilder().AddDependencyStrategies(context with
        {
            Name = "bench-no-slow-calls",
            Options = withoutSlowCalls,
            Budget = new RetryBudget(withoutSlowCalls.RetryBudget, TimeProvider.System),
        }).Build();

        // Far enough that both timeouts keep their own limits (the bounding is still computed).
        _deadline = new Deadline(TimeProvider.System.GetUtcNow().AddHours(1));
    }

    [GlobalCleanup]
    public void Cleanup() => _meters.Dispose();

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("NoContext")]
    public ValueTask<int> PlainPolly() => _plain.ExecuteAsync(static _ => Success);

    [Benchmark]
    [BenchmarkCategory("NoContext")]
    public ValueTask<int> DependencyPipeline() => _ours.ExecuteAsync(static _ => Success);

    [Benchmark]
    [BenchmarkCategory("NoContext")]
    public ValueTask<int> DependencyPipelineWithoutSlowCalls() => _oursWithoutSlowCalls.ExecuteAsync(static _ => Success);

    [Benchmark(Baseline = true)]
    [BenchmarkCategory("Deadline")]
    public ValueTask<int> PlainPollyWithDeadline() => WithDeadline(_plain);

    [Benchmark]
    [BenchmarkCategory("Deadline")]
    public ValueTask<int> DependencyPipelineWithDeadline() => WithDeadline(_ours);

    private async ValueTask<int> WithDeadline(ResiliencePipeline pipeline)
    {
        var context = ResilienceContextPool.Shared.Get();
        try
        {
            context.Properties.Set(Deadline.PropertyKey, _deadline);
            return await pipeline.ExecuteAsync(static (_, _) => Success, context, 0).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}

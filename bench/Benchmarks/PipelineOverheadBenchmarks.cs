using System.Diagnostics.Metrics;
using BenchmarkDotNet.Attributes;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Telemetry;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Messaging.Benchmarks;

/// <summary>
/// P2: the cost per successful call of our composed dependency pipeline (call accounting and retry
/// budget, deadline-aware timeouts, retry, breaker with slow-call detection) against a plain Polly
/// pipeline with the same strategies and settings, on the success path.
/// </summary>
[MemoryDiagnoser]
public class PipelineOverheadBenchmarks
{
    private static readonly ValueTask<int> Success = ValueTask.FromResult(42);
    private ResiliencePipeline _plain = null!;
    private ResiliencePipeline _ours = null!;
    private MeterFactory _meters = null!;

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
    }

    [GlobalCleanup]
    public void Cleanup() => _meters.Dispose();

    [Benchmark(Baseline = true)]
    public ValueTask<int> PlainPolly() => _plain.ExecuteAsync(static _ => Success);

    [Benchmark]
    public ValueTask<int> DependencyPipeline() => _ours.ExecuteAsync(static _ => Success);

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

using System.Diagnostics.Metrics;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Pipelines;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly;

namespace Messaging.Resilience.Tests.Pipelines;

/// <summary>Builds dependency pipelines on a fake clock, with their registry and budget, for unit tests.</summary>
internal sealed class PipelineTestContext : IDisposable
{
    private readonly ServiceMeterFactory _meters = new();

    public PipelineTestContext(Action<DependencyPipelineOptions>? configure = null, TransientClassifier? classifier = null, string name = "dep")
    {
        Options = new DependencyPipelineOptions();
        configure?.Invoke(Options);
        Metrics = new ResilienceMetrics(_meters);
        Breakers = new BreakerRegistry(Metrics, Time, NullLogger<BreakerRegistry>.Instance);
        Budget = new RetryBudget(Options.RetryBudget, Time);
        Dependency = new DependencyPipelineContext(name, Options, classifier ?? TransientFailures.Http, Budget, Breakers, Metrics, Time);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    public DependencyPipelineOptions Options { get; }

    public ResilienceMetrics Metrics { get; }

    public BreakerRegistry Breakers { get; }

    public RetryBudget Budget { get; }

    public DependencyPipelineContext Dependency { get; }

    public ResiliencePipeline<HttpResponseMessage> BuildHttp() => BuildHttp(Dependency);

    /// <summary>Another pipeline sharing this context's clock, registry and metrics (for example a second endpoint).</summary>
    public ResiliencePipeline<HttpResponseMessage> BuildHttp(string name) => BuildHttp(Dependency with { Name = name });

    private ResiliencePipeline<HttpResponseMessage> BuildHttp(DependencyPipelineContext dependency) =>
        new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = Time }.AddDependencyStrategies(dependency).Build();

    public ResiliencePipeline Build() =>
        new ResiliencePipelineBuilder { TimeProvider = Time }.AddDependencyStrategies(Dependency).Build();

    public void Dispose() => _meters.Dispose();

    private sealed class ServiceMeterFactory : IMeterFactory
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

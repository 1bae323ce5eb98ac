using Messaging.Resilience.Classification;
using Messaging.Resilience.Breakers;

namespace Messaging.Resilience.Pipelines;

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

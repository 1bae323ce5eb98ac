using Messaging.Resilience.Pipelines;
using Polly.CircuitBreaker;

namespace Messaging.Workers.Flow;

/// <summary>Tells a failure of the infrastructure a consumer depends on from a failure of the message it handles.</summary>
internal static class InfrastructureFailures
{
    /// <summary>
    /// PostgreSQL unreachable or timing out, or a dependency's breaker open, as opposed to a failure of
    /// the message itself. Provider failures never reach this test: the executor handles them (retry,
    /// deferral, dead letter) and only lets infrastructure failures out.
    /// </summary>
    public static bool IsOutage(Exception exception) =>
        exception is BrokenCircuitException || TransientFailures.IsTransientPostgres(exception);
}

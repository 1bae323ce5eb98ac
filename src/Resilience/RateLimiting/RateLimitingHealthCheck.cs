using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// Readiness check <c>rate-limiting</c>: Healthy while limits are shared through Redis, Degraded while this
/// instance decides locally (it keeps serving, with its share of each quota). Tries Redis again when a probe
/// is due, so recovery shows without traffic.
/// </summary>
internal sealed class RateLimitingHealthCheck(DistributedRateLimits limits) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        return await limits.ProbeAsync(cancellationToken).ConfigureAwait(false)
            ? HealthCheckResult.Healthy("Rate limits are shared through Redis.")
            : HealthCheckResult.Degraded("Rate limits are decided locally (Redis does not answer); each instance enforces its share of every quota.");
    }
}

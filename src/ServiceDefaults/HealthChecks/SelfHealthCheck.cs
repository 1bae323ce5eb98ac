using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Messaging.ServiceDefaults.HealthChecks;

/// <summary>Healthy whenever the process can answer at all.</summary>
internal sealed class SelfHealthCheck : IHealthCheck
{
    private static readonly Task<HealthCheckResult> Result = Task.FromResult(HealthCheckResult.Healthy("The process is running."));

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) => Result;
}

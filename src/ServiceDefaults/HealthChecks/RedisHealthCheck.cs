using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Messaging.ServiceDefaults.HealthChecks;

/// <summary>Sends <c>PING</c> through the shared multiplexer; the registration's timeout cancels the wait.</summary>
internal sealed class RedisHealthCheck(IConnectionMultiplexer redis) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("Redis answered.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Same fixed text for every failure: the description is published by /health/ready.
            return new HealthCheckResult(context.Registration.FailureStatus, "Redis is not reachable.", ex);
        }
    }
}

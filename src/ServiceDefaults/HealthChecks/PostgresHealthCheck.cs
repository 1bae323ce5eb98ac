using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace Messaging.ServiceDefaults.HealthChecks;

/// <summary>Runs <c>SELECT 1</c>; the registration's timeout cancels it.</summary>
internal sealed class PostgresHealthCheck(NpgsqlDataSource dataSource) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            await using var command = dataSource.CreateCommand("SELECT 1");
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            return HealthCheckResult.Healthy("PostgreSQL answered.");
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Every failure becomes the same fixed text: the exception (kept for the health check log) may
            // name hosts, users or databases, and the description is published by /health/ready.
            return new HealthCheckResult(context.Registration.FailureStatus, "PostgreSQL is not reachable.", ex);
        }
    }
}

using Messaging.Resilience.Classification;
using Npgsql;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// Outbox lag: rows not yet published (delayed retries included) and how long the oldest due one has waited. A row is
/// due from its <c>not_before</c> (a delayed retry is not lag before its time); a row the relay already failed to
/// publish counts from its creation, since each failure pushes its <c>not_before</c> back.
/// </summary>
internal sealed record OutboxStatistics(long Pending, double OldestPendingSeconds)
{
    /// <summary>
    /// Reads the figures of the whole outbox, or of <paramref name="tenant"/>'s commands only; null when PostgreSQL cannot
    /// answer (monitoring degrades, it does not fail).
    /// </summary>
    public static async Task<OutboxStatistics?> ReadAsync(NpgsqlDataSource dataSource, TimeProvider timeProvider, string? tenant, CancellationToken cancellationToken)
    {
        try
        {
            // The outbox has no tenant column: a tenant's share is found through its commands (primary key lookups).
            await using var command = dataSource.CreateCommand(
                $"""
                SELECT count(*),
                       min(CASE WHEN o.publish_attempts > 0 THEN o.created_at ELSE GREATEST(o.created_at, o.not_before) END)
                           FILTER (WHERE o.publish_attempts > 0 OR o.not_before <= @now)
                FROM outbox o {(tenant is null ? "" : "JOIN commands c ON c.id = o.command_id AND c.tenant = @tenant")}
                WHERE o.sent_at IS NULL
                """);
            command.Parameters.AddWithValue("now", timeProvider.GetUtcNow());
            if (tenant is not null)
            {
                command.Parameters.AddWithValue("tenant", tenant);
            }

            command.CommandTimeout = 3;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var pending = reader.GetInt64(0);
            var oldest = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
            var age = oldest is { } created ? Math.Max(0, (timeProvider.GetUtcNow() - created).TotalSeconds) : 0;
            return new OutboxStatistics(pending, Math.Round(age, 1));
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex))
        {
            // Any database error, not only an outage: the overview leaves the figures out rather than fail.
            return null;
        }
    }
}

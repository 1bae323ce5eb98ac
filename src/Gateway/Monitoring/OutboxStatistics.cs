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
    /// <summary>Reads the figures; null when PostgreSQL cannot answer (monitoring degrades, it does not fail).</summary>
    public static async Task<OutboxStatistics?> ReadAsync(NpgsqlDataSource dataSource, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                """
                SELECT count(*),
                       min(CASE WHEN publish_attempts > 0 THEN created_at ELSE GREATEST(created_at, not_before) END)
                           FILTER (WHERE publish_attempts > 0 OR not_before <= @now)
                FROM outbox WHERE sent_at IS NULL
                """);
            command.Parameters.AddWithValue("now", timeProvider.GetUtcNow());
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

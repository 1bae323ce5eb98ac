using Npgsql;

namespace Messaging.Gateway.Monitoring;

/// <summary>Outbox lag: rows not yet published and the age of the oldest one.</summary>
internal sealed record OutboxStatistics(long Pending, double OldestPendingSeconds)
{
    /// <summary>Reads the figures; null when PostgreSQL cannot answer (monitoring degrades, it does not fail).</summary>
    public static async Task<OutboxStatistics?> ReadAsync(NpgsqlDataSource dataSource, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        try
        {
            await using var command = dataSource.CreateCommand(
                "SELECT count(*), min(created_at) FROM outbox WHERE sent_at IS NULL");
            command.CommandTimeout = 3;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            var pending = reader.GetInt64(0);
            var oldest = reader.IsDBNull(1) ? (DateTimeOffset?)null : reader.GetFieldValue<DateTimeOffset>(1);
            var age = oldest is { } created ? Math.Max(0, (timeProvider.GetUtcNow() - created).TotalSeconds) : 0;
            return new OutboxStatistics(pending, Math.Round(age, 1));
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            return null;
        }
    }
}

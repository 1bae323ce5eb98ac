using Messaging.Contracts.Commands;
using Messaging.Resilience.Classification;
using Npgsql;

namespace Messaging.Gateway.Monitoring;

/// <summary>
/// A tenant's share of the queues, for a tenant admin's overview: per queue, the tenant's commands waiting for a worker
/// (<c>Accepted</c>, <c>Dispatched</c>, <c>Scheduled</c>) and those a worker is executing (<c>Processing</c>). The
/// broker's own figures are the fleet's and are shown to operators only; these come from the tenant's command rows.
/// </summary>
internal static class TenantQueueShare
{
    /// <summary>
    /// The tenant's queues (those with a command of the tenant in flight), each with the fleet's consumer count from
    /// <paramref name="fleetQueues"/>; empty when PostgreSQL cannot answer (monitoring degrades, it does not fail).
    /// </summary>
    public static async Task<IReadOnlyList<QueueView>> ReadAsync(
        NpgsqlDataSource dataSource, CommandTypeRegistry commandTypes, IReadOnlyList<QueueView> fleetQueues, string tenant, CancellationToken cancellationToken)
    {
        var byQueue = new SortedDictionary<string, (long Waiting, long Processing)>(StringComparer.Ordinal);
        try
        {
            // Served by commands_tenant_status (tenant, status, …).
            await using var command = dataSource.CreateCommand(
                """
                SELECT type, count(*) FILTER (WHERE status <> 'Processing'), count(*) FILTER (WHERE status = 'Processing')
                FROM commands WHERE tenant = @tenant AND status IN ('Accepted', 'Dispatched', 'Scheduled', 'Processing')
                GROUP BY type
                """);
            command.Parameters.AddWithValue("tenant", tenant);
            command.CommandTimeout = 3;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var queue = commandTypes.TryGet(reader.GetString(0), out var descriptor) ? descriptor.QueueName : reader.GetString(0);
                var (waiting, processing) = byQueue.GetValueOrDefault(queue);
                byQueue[queue] = (waiting + reader.GetInt64(1), processing + reader.GetInt64(2));
            }
        }
        catch (Exception ex) when (DependencyUnavailable.IsPostgresFailure(ex))
        {
            return [];
        }

        return [.. byQueue.Select(q => new QueueView(
            q.Key, q.Value.Waiting, q.Value.Processing, fleetQueues.FirstOrDefault(f => f.Name == q.Key)?.Consumers ?? 0,
            PublishRate: null, DeliverRate: null, Source: "tenant", History: []))];
    }
}

using System.Text.Json;
using Messaging.Contracts.Notifications;
using Npgsql;

namespace Messaging.Load.Infrastructure;

/// <summary>Outbox rows as the gateway writes them, in bulk (a backlog) and read back (commit-to-publish times).</summary>
internal static class OutboxRows
{
    public static string Headers { get; } = JsonSerializer.Serialize(new Dictionary<string, string>
    {
        ["tenant"] = "load", ["client"] = "load", ["command-type"] = SendNotification.TypeName, ["deadline"] = "2099-01-01T00:00:00.0000000Z", ["attempt"] = "1",
    });

    public static string Body(Guid id, int payloadBytes) => JsonSerializer.Serialize(new SendNotification
    {
        CommandId = id, Tenant = "load", Channel = "email", To = "load@example.org", Subject = "Load", Body = Payloads.Body(payloadBytes),
    }, new JsonSerializerOptions(JsonSerializerDefaults.Web));

    /// <summary>
    /// Inserts <paramref name="count"/> pending rows in chunks (a backlog), due now or, with <paramref name="due"/>, all at
    /// that moment (a burst of scheduled rows).
    /// </summary>
    public static async Task InsertBacklogAsync(string postgres, int count, int payloadBytes, DateTimeOffset? due = null)
    {
        var template = Body(Guid.Empty, payloadBytes);
        await using var connection = new NpgsqlConnection(postgres);
        await connection.OpenAsync().ConfigureAwait(false);
        for (var done = 0; done < count; done += 10_000)
        {
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at, kind)
                SELECT g.id, @destination, @message_type, jsonb_set(@body::jsonb, '{commandId}', to_jsonb(g.id::text)), @headers::jsonb,
                       coalesce(@due, now()), now(), 'command'
                FROM (SELECT gen_random_uuid() AS id FROM generate_series(1, @n)) AS g
                """, connection);
            insert.Parameters.AddWithValue("destination", SendNotification.TypeName);
            insert.Parameters.AddWithValue("message_type", typeof(SendNotification).FullName!);
            insert.Parameters.AddWithValue("body", template);
            insert.Parameters.AddWithValue("headers", Headers);
            insert.Parameters.AddWithValue("n", Math.Min(10_000, count - done));
            insert.Parameters.Add(new NpgsqlParameter("due", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)due ?? DBNull.Value });
            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }
    }

    public static async Task<long> PendingAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }

    /// <summary>The publish rate between the 10th and the 90th percentile of sent times (start-up and tail excluded), per second.</summary>
    public static async Task<double> SteadyPublishRateAsync(NpgsqlDataSource dataSource, long afterId)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT count(*),
                   extract(epoch FROM percentile_disc(0.9) WITHIN GROUP (ORDER BY sent_at) - percentile_disc(0.1) WITHIN GROUP (ORDER BY sent_at))::float8
            FROM outbox WHERE id > @after AND sent_at IS NOT NULL
            """);
        command.Parameters.AddWithValue("after", afterId);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        var count = reader.GetInt64(0);
        var seconds = reader.IsDBNull(1) ? 0 : reader.GetDouble(1);
        return seconds <= 0 ? double.NaN : count * 0.8 / seconds;
    }

    /// <summary>Commit-to-publish latency percentiles (created_at → sent_at, ms) of rows after <paramref name="afterId"/>.</summary>
    public static async Task<(long Count, double P50, double P99, double Max)> PublishLatencyAsync(NpgsqlDataSource dataSource, long afterId)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT count(*),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)::float8) * 1000,
                   percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)::float8) * 1000,
                   max(extract(epoch FROM sent_at - created_at)::float8) * 1000
            FROM outbox WHERE id > @after AND sent_at IS NOT NULL
            """);
        command.Parameters.AddWithValue("after", afterId);
        await using var reader = await command.ExecuteReaderAsync().ConfigureAwait(false);
        await reader.ReadAsync().ConfigureAwait(false);
        return reader.GetInt64(0) == 0 ? (0, double.NaN, double.NaN, double.NaN) : (reader.GetInt64(0), reader.GetDouble(1), reader.GetDouble(2), reader.GetDouble(3));
    }

    public static async Task<long> MaxIdAsync(NpgsqlDataSource dataSource)
    {
        await using var command = dataSource.CreateCommand("SELECT coalesce(max(id), 0) FROM outbox");
        return (long)(await command.ExecuteScalarAsync().ConfigureAwait(false))!;
    }
}

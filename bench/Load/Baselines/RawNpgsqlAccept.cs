using System.Text.Json;
using Messaging.Contracts.Notifications;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Load.Baselines;

/// <summary>
/// B1, the durable-accept limit: the gateway's two inserts (the <c>commands</c> row and the outbox row, same
/// columns and JSON) over raw Npgsql, one transaction per request, no HTTP, no auth, no resilience pipeline.
/// </summary>
internal sealed class RawNpgsqlAccept(string connectionString, int payloadBytes) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Web = new(JsonSerializerDefaults.Web);
    private readonly NpgsqlDataSource _dataSource = NpgsqlDataSource.Create(connectionString);
    private readonly string _body = Payloads.Body(payloadBytes);

    public async ValueTask<bool> AcceptAsync(CancellationToken cancellationToken)
    {
        var now = DateTimeOffset.UtcNow;
        var id = Guid.CreateVersion7(now);
        var payload = JsonSerializer.Serialize(new { channel = "email", to = "load@example.org", subject = "Load", body = _body }, Web);
        var message = JsonSerializer.Serialize(new SendNotification
        {
            CommandId = id, Tenant = "load", Channel = "email", To = "load@example.org", Subject = "Load", Body = _body,
        }, Web);
        var headers = JsonSerializer.Serialize(new Dictionary<string, string>
        {
            ["tenant"] = "load", ["client"] = "load", ["command-type"] = SendNotification.TypeName, ["deadline"] = now.AddDays(1).ToString("O"), ["attempt"] = "1",
        });

        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, idempotency_key, deadline, created_at, updated_at)
            VALUES (@id, @tenant, @client_id, @type, @status, 0, @payload, @idempotency_key, @deadline, @now, @now)
            """, connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", "load");
            insert.Parameters.AddWithValue("client_id", "load");
            insert.Parameters.AddWithValue("type", SendNotification.TypeName);
            insert.Parameters.AddWithValue("status", "Accepted");
            insert.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, payload);
            insert.Parameters.AddWithValue("idempotency_key", NpgsqlDbType.Text, DBNull.Value);
            insert.Parameters.AddWithValue("deadline", now.AddDays(1));
            insert.Parameters.AddWithValue("now", now);
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await using (var outbox = new NpgsqlCommand(
            """
            INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at, kind)
            VALUES (@command_id, @destination, @message_type, @body, @headers, @not_before, @created_at, @kind)
            """, connection, transaction))
        {
            outbox.Parameters.AddWithValue("command_id", id);
            outbox.Parameters.AddWithValue("destination", SendNotification.TypeName);
            outbox.Parameters.AddWithValue("message_type", typeof(SendNotification).FullName!);
            outbox.Parameters.AddWithValue("body", NpgsqlDbType.Jsonb, message);
            outbox.Parameters.AddWithValue("headers", NpgsqlDbType.Jsonb, headers);
            outbox.Parameters.AddWithValue("not_before", now);
            outbox.Parameters.AddWithValue("created_at", now);
            outbox.Parameters.AddWithValue("kind", "command");
            await outbox.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return true;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}

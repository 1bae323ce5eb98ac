using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Resilience.Outbox;

/// <summary>
/// Writes outbox rows inside the caller's transaction, so the message commits or rolls back with the
/// caller's own changes. Call <see cref="OutboxSignal.Notify"/> after the commit to wake the relay.
/// </summary>
public sealed class OutboxWriter(TimeProvider timeProvider)
{
    /// <summary>Adds <paramref name="message"/> to the outbox within <paramref name="transaction"/>.</summary>
    public async Task EnqueueAsync(NpgsqlTransaction transaction, OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(message);
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at, kind)
            VALUES (@command_id, @destination, @message_type, @body, @headers, @not_before, @created_at, @kind)
            """, transaction.Connection, transaction);
        command.Parameters.AddWithValue("command_id", message.CommandId);
        command.Parameters.AddWithValue("destination", message.Destination);
        command.Parameters.AddWithValue("message_type", message.MessageType);
        command.Parameters.AddWithValue("body", NpgsqlDbType.Jsonb, message.Body);
        command.Parameters.AddWithValue("headers", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(message.Headers));
        command.Parameters.AddWithValue("not_before", message.NotBefore);
        command.Parameters.AddWithValue("created_at", timeProvider.GetUtcNow());
        command.Parameters.AddWithValue("kind", message.Kind == OutboxMessageKind.Event ? "event" : "command");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

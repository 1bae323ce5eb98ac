using Npgsql;
using NpgsqlTypes;

namespace Messaging.Gateway.Commands;

/// <summary>One message to publish, as the outbox relay reads it.</summary>
/// <param name="CommandId">The command (also the message id).</param>
/// <param name="Destination">The exchange (and queue) name.</param>
/// <param name="MessageType">The CLR full name of the message contract.</param>
/// <param name="Body">The message as JSON.</param>
/// <param name="Headers">The transport headers as a JSON object.</param>
/// <param name="NotBefore">The earliest time the relay may publish it.</param>
/// <param name="CreatedAt">When it was written.</param>
internal sealed record OutboxRow(
    Guid CommandId, string Destination, string MessageType, string Body, string Headers, DateTimeOffset NotBefore, DateTimeOffset CreatedAt);

/// <summary>
/// Inserts an outbox row inside the caller's transaction, so the message exists exactly when the
/// state change that produced it commits.
/// </summary>
internal static class OutboxRowWriter
{
    public static async Task WriteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, OutboxRow row, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at)
            VALUES (@command_id, @destination, @message_type, @body, @headers, @not_before, @created_at)
            """, connection, transaction);
        insert.Parameters.AddWithValue("command_id", row.CommandId);
        insert.Parameters.AddWithValue("destination", row.Destination);
        insert.Parameters.AddWithValue("message_type", row.MessageType);
        insert.Parameters.AddWithValue("body", NpgsqlDbType.Jsonb, row.Body);
        insert.Parameters.AddWithValue("headers", NpgsqlDbType.Jsonb, row.Headers);
        insert.Parameters.AddWithValue("not_before", row.NotBefore);
        insert.Parameters.AddWithValue("created_at", row.CreatedAt);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Events;
using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;
using Messaging.Resilience.Outbox;
using Messaging.Workers.Execution;
using Npgsql;
using NpgsqlTypes;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Workers.DeadLetters;

/// <summary>A command row as the dead-letter path reads it (locked for the transaction).</summary>
/// <param name="Id">The command id.</param>
/// <param name="Tenant">Its tenant.</param>
/// <param name="ClientId">The client that submitted it.</param>
/// <param name="Status">Its status, or null when the stored text is not a known status.</param>
/// <param name="Deadline">Its deadline, if any.</param>
/// <param name="FirstFailureAt">When it first failed, if it did.</param>
internal sealed record StoredCommand(Guid Id, string Tenant, string ClientId, CommandStatus? Status, DateTimeOffset? Deadline, DateTimeOffset? FirstFailureAt);

/// <summary>
/// What each command type does when one of its commands is dead-lettered, written in the dead letter's
/// own transaction and keeping the command's tenant and client: <c>payments.charge</c> publishes
/// <see cref="PaymentFailed"/> (so whoever started the payment can compensate); <c>notifications.send</c>
/// sends the notification on the other channel as a new command when the command names a
/// <c>fallbackTo</c> recipient, and otherwise publishes <see cref="NotificationFailed"/>. Events go through
/// the outbox and are published by type.
/// </summary>
internal sealed class CommandFallbacks(OutboxWriter outbox)
{
    /// <summary>Runs the fallback of <paramref name="command"/>; returns what it did, for the log, or null when its type has none.</summary>
    public async Task<string?> RunAsync(NpgsqlTransaction transaction, ICommandMessage command, StoredCommand stored, string reason, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(stored);
        switch (command)
        {
            case ChargePayment charge:
                await PublishAsync(transaction, stored, ChargePayment.TypeName, new PaymentFailed
                {
                    CommandId = charge.CommandId,
                    Tenant = stored.Tenant,
                    Amount = charge.Amount,
                    Currency = charge.Currency,
                    CustomerId = charge.CustomerId,
                    Reason = reason,
                    FailedAt = now,
                }, now, cancellationToken).ConfigureAwait(false);
                return nameof(PaymentFailed) + " published";

            case SendNotification { FallbackTo: { Length: > 0 } fallbackTo } notification:
                var id = await SendOnOtherChannelAsync(transaction, notification, fallbackTo, stored, now, cancellationToken).ConfigureAwait(false);
                return $"sent on the other channel as command {id}";

            case SendNotification notification:
                await PublishAsync(transaction, stored, SendNotification.TypeName, new NotificationFailed
                {
                    CommandId = notification.CommandId,
                    Tenant = stored.Tenant,
                    Channel = notification.Channel,
                    Reason = reason,
                    FailedAt = now,
                }, now, cancellationToken).ConfigureAwait(false);
                return nameof(NotificationFailed) + " published";

            default:
                return null;
        }
    }

    private Task PublishAsync<TEvent>(NpgsqlTransaction transaction, StoredCommand stored, string commandType, TEvent message, DateTimeOffset now,
        CancellationToken cancellationToken)
        where TEvent : class
    {
        var type = typeof(TEvent);
        var headers = Headers(stored.Tenant, stored.ClientId, commandType);
        return outbox.EnqueueAsync(transaction, new OutboxMessage(stored.Id, $"{type.Namespace}:{type.Name}", type.FullName!,
            JsonSerializer.Serialize(message, CommandDelivery.BodyJson), headers, now, OutboxMessageKind.Event), cancellationToken);
    }

    // A new notifications.send command, of the same tenant and client, with the same deadline: submitted as
    // the gateway would (a commands row and an outbox row). It has no fallback of its own, so it cannot loop.
    private async Task<Guid> SendOnOtherChannelAsync(NpgsqlTransaction transaction, SendNotification original, string fallbackTo, StoredCommand stored,
        DateTimeOffset now, CancellationToken cancellationToken)
    {
        var channel = original.Channel == "email" ? "sms" : "email";
        var id = Guid.CreateVersion7(now);
        var message = new SendNotification
        {
            CommandId = id,
            Tenant = stored.Tenant,
            Channel = channel,
            To = fallbackTo,
            Subject = channel == "email" ? original.Subject : null,
            Body = original.Body,
        };
        var payload = JsonSerializer.Serialize(new { message.Channel, message.To, message.Subject, message.Body }, CommandDelivery.BodyJson);
        await using (var insert = new NpgsqlCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, deadline, created_at, updated_at)
            VALUES (@id, @tenant, @client_id, @type, 'Accepted', 0, @payload, @deadline, @now, @now);
            UPDATE commands SET result = @result WHERE id = @original;
            """, transaction.Connection, transaction))
        {
            insert.Parameters.AddWithValue("id", id);
            insert.Parameters.AddWithValue("tenant", stored.Tenant);
            insert.Parameters.AddWithValue("client_id", stored.ClientId);
            insert.Parameters.AddWithValue("type", SendNotification.TypeName);
            insert.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, payload);
            insert.Parameters.AddWithValue("deadline", NpgsqlDbType.TimestampTz, (object?)stored.Deadline ?? DBNull.Value);
            insert.Parameters.AddWithValue("now", now);
            insert.Parameters.AddWithValue("original", stored.Id);
            insert.Parameters.AddWithValue("result", NpgsqlDbType.Jsonb,
                JsonSerializer.Serialize(new { Fallback = new { CommandId = id, Channel = channel } }, CommandDelivery.BodyJson));
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        var headers = Headers(stored.Tenant, stored.ClientId, SendNotification.TypeName);
        headers[MessageHeaders.Attempt] = "1";
        if (stored.Deadline is { } deadline)
        {
            headers[MessageHeaders.Deadline] = deadline.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
        }

        CommandCatalog.TryGet(SendNotification.TypeName, out var descriptor);
        await outbox.EnqueueAsync(transaction, new OutboxMessage(id, descriptor.QueueName, descriptor.MessageType.FullName!,
            JsonSerializer.Serialize(message, CommandDelivery.BodyJson), headers, now), cancellationToken).ConfigureAwait(false);
        return id;
    }

    private static Dictionary<string, string> Headers(string tenant, string clientId, string commandType)
    {
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Tenant] = tenant,
            [MessageHeaders.Client] = clientId,
            [MessageHeaders.CommandType] = commandType,
        };
        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent } activity)
        {
            headers[MessageHeaders.TraceParent] = traceParent;
            if (!string.IsNullOrEmpty(activity.TraceStateString))
            {
                headers[MessageHeaders.TraceState] = activity.TraceStateString;
            }
        }

        return headers;
    }
}

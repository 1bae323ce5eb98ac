using System.Text.Json;
using Messaging.Contracts;
using Messaging.Contracts.Callbacks;
using Messaging.Contracts.Commands;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Store.Outbox;

/// <summary>
/// The one owner of the command rows: every statement that inserts into <c>commands</c>, <c>idempotency_keys</c> or
/// <c>outbox</c>, and every statement that changes a command's status, is here; the classes that decide when to write
/// (the gateway's <c>CommandStore</c> and <c>GroupCommitWriter</c>, <see cref="CommandOutbox"/>, <see cref="OutboxWriter"/>,
/// the workers' status store, scheduler and fallbacks, the dead-letter store and the relay) call it. The transitions:
/// accepted (<see cref="InsertCommandAsync"/>, or a group commit's <see cref="AcceptBatch"/>), recorded after a direct
/// publish (<see cref="InsertCommandIfAbsentAsync"/>), <c>Dispatched</c> (<see cref="AddMarkDispatched"/>),
/// <c>Processing</c> (<see cref="StartAttemptAsync"/>), <c>Scheduled</c> (<see cref="ScheduleAsync"/>, or accepted with a
/// <c>Not-Before</c>), <c>Cancelled</c> by its client (<see cref="CancelAsync"/>), the terminal
/// statuses (<see cref="CompleteAsync"/>, <see cref="ExpireAsync"/>, <see cref="DeadLetterAsync"/>: one statement and
/// one guard for all three), back to <c>Accepted</c> on a redrive (<see cref="AddRedrive"/>), and a fallback's result
/// (<see cref="SetResultAsync"/>). The row shapes (the command row, the outbox message and its headers) come from
/// <see cref="CommandRows"/>; the read-only queries stay with their readers. Not here, on purpose: the relay's claim
/// and its <c>UPDATE outbox</c> of <c>sent_at</c>, attempts and retry times (delivery, not a command's rows:
/// <see cref="OutboxClaims"/>), and the cleanup's deletes (<see cref="OutboxCleanup"/>).
/// </summary>
/// <remarks>
/// <para>
/// Completion callbacks are queued here too: every statement that writes a terminal status of a command with a
/// <c>callback_url</c> (<see cref="CompleteAsync"/>, <see cref="ExpireAsync"/>, <see cref="DeadLetterAsync"/>,
/// <see cref="CancelAsync"/>) inserts, in the same statement, the event's delivery (a <c>callbacks.deliver</c> row pointing at
/// its subject through <c>callback_of</c>) and its outbox row: the event exists if and only if the status changed. The
/// delivery's own transitions (scheduled after a failure, ended, redriven) write its subject's <c>callback_state</c>; a
/// delivery never has a callback of its own, and never changes its subject's status.
/// </para>
/// <para>
/// Statements that belong to a caller's transaction take it (<see cref="NpgsqlTransaction"/>) and never commit; the
/// worker's status writes are single statements run alone on the data source. Statements that share a round trip with
/// the caller's own (the relay's mark, <see cref="OutboxClaims.MarkSentAsync"/>; the dead-letter store's redrive) are
/// added to the caller's <see cref="NpgsqlBatch"/>.
/// </para>
/// </remarks>
public static class CommandLedger
{
    /// <summary>Every terminal status: a command in one of them is never started, scheduled, completed or expired again.</summary>
    private static readonly string[] TerminalStatuses =
        [.. Enum.GetValues<CommandStatus>().Where(s => s.IsTerminal()).Select(s => s.ToString())];

    /// <summary>
    /// The terminal statuses that are final outcomes: all but <c>DeadLettered</c>, which an operator may redrive and a
    /// later dead letter of the same command may record again. Dead-lettering is guarded by these.
    /// </summary>
    private static readonly string[] OutcomeStatuses =
        [.. TerminalStatuses.Where(s => s != nameof(CommandStatus.DeadLettered))];

    /// <summary>The statuses a client may cancel from: no attempt is running, and none will start after the cancel.</summary>
    private static readonly string[] CancellableStatuses =
        [nameof(CommandStatus.Accepted), nameof(CommandStatus.Dispatched), nameof(CommandStatus.Scheduled)];

    /// <summary>
    /// How long a completion event may take to be delivered: the delivery's deadline, past its retries' period
    /// (<c>Commands:Types:callbacks.deliver:Retry:MaxRetryPeriod</c>, at most a day) so that it dead-letters, and can be
    /// redriven, rather than expires.
    /// </summary>
    public static readonly TimeSpan CallbackDeliveryDeadline = TimeSpan.FromHours(25);

    private static readonly string CallbackMessageType = typeof(DeliverCallback).FullName!;

    private const string CommandColumns =
        "id, tenant, client_id, type, status, attempts, payload, idempotency_key, deadline, created_at, updated_at, not_before, callback_url";
    private const string KeyColumns = "tenant, key, request_hash, command_id, status_code, response_body, created_at, expires_at";
    private const string OutboxColumns = "command_id, destination, message_type, body, headers, not_before, created_at, kind";

    // A command without a Callback-Url of its own takes its client's default (clients add --callback-url), read in the same
    // statement (here and in AcceptBatch): the row says at acceptance where the callback goes, on every way in, the direct
    // publish's late row included.
    private const string InsertCommandSql =
        $"""
        INSERT INTO commands ({CommandColumns})
        VALUES (@id, @tenant, @client_id, @type, @status, 0, @payload, @idempotency_key, @deadline, @now, @now, @not_before,
                coalesce(@callback_url, (SELECT callback_url FROM clients WHERE client_id = @client_id)))
        """;

    // The one statement that writes a terminal status. The result is replaced only by a completion (a refusal clears it):
    // an expiry or a dead letter keeps what a fallback may have stored. The row is locked and read first (previous), so the
    // callback CTEs know whether the status changed: a dead-lettered command dead-lettered again takes the new reason
    // without a second event.
    private const string FinishSql =
        $"""
        WITH previous AS (
            SELECT id, status FROM commands WHERE id = @id FOR UPDATE
        ),
        updated AS (
            UPDATE commands c
            SET status = @status, result = CASE WHEN @set_result THEN @result ELSE c.result END,
                error_code = @error_code, error_message = @error_message, updated_at = @now,
                {ResetCallbackState}
            FROM previous p
            WHERE c.id = p.id AND NOT (p.status = ANY (@final))
            RETURNING {SubjectColumns}, p.status AS previous_status
        ),
        {QueueCallbackSql},
        {DeliveryEndedSql}
        """;

    // A cancel: the same callback CTEs as a terminal write (a delivery's own row is not cancellable: its subject's client
    // could stop its own event).
    private const string CancelSql =
        $"""
        WITH previous AS (
            SELECT id, status FROM commands
            WHERE id = @id AND tenant = @tenant AND type <> '{CallbackEventTypes.DeliveryTypeName}'
            FOR UPDATE
        ),
        updated AS (
            UPDATE commands c
            SET status = 'Cancelled', error_code = 'cancelled', error_message = 'Cancelled by its client before an attempt started.',
                updated_at = @now,
                {ResetCallbackState}
            FROM previous p
            WHERE c.id = p.id AND p.status = ANY (@cancellable)
            RETURNING {SubjectColumns}, p.status AS previous_status
        ),
        {QueueCallbackSql}
        SELECT count(*) FROM updated
        """;

    // Columns of a command that just reached a terminal status, for its event (the status document) and its delivery row.
    private const string SubjectColumns =
        "c.id, c.tenant, c.client_id, c.type, c.status, c.attempts, c.created_at, c.updated_at, c.deadline, c.result, c.error_code, "
        + "c.error_message, c.not_before, c.callback_url, c.callback_of";

    // A command with a callback that reaches a terminal status has a new event to deliver: its state starts again.
    private const string ResetCallbackState =
        """
        callback_state = CASE WHEN c.callback_url IS NULL THEN c.callback_state ELSE 'Pending' END,
                callback_attempts = CASE WHEN c.callback_url IS NULL THEN c.callback_attempts ELSE 0 END,
                callback_last_error = CASE WHEN c.callback_url IS NULL THEN c.callback_last_error END
        """;

    // The event of a terminal status, queued by the statement that writes it (CTEs on `updated`): the delivery's own row
    // (type callbacks.deliver, no callback_url of its own, so a delivery never produces a callback) and its outbox row. Its
    // body is the DeliverCallback message; `data` is the status document as GET /api/commands/{id} shows it (CommandView's
    // field names, a test compares them), times in UTC with microseconds.
    private const string QueueCallbackSql =
        $$"""
        callback AS (
            INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, deadline, created_at, updated_at, callback_of)
            SELECT @callback_id, u.tenant, u.client_id, '{{CallbackEventTypes.DeliveryTypeName}}', 'Accepted', 0,
                   jsonb_build_object(
                       'clientId', u.client_id, 'subjectCommandId', u.id, 'url', u.callback_url,
                       'eventType', CASE u.status {{EventTypeCases}} END,
                       'occurredAt', to_char(u.updated_at AT TIME ZONE 'UTC', {{UtcInstant}}),
                       'data', jsonb_build_object('id', u.id, 'type', u.type, 'status', u.status, 'attempts', u.attempts,
                                                  'createdAt', to_char(u.created_at AT TIME ZONE 'UTC', {{UtcInstant}}),
                                                  'updatedAt', to_char(u.updated_at AT TIME ZONE 'UTC', {{UtcInstant}}))
                           || CASE WHEN u.deadline IS NULL THEN '{}' ELSE jsonb_build_object('deadline', to_char(u.deadline AT TIME ZONE 'UTC', {{UtcInstant}})) END
                           || CASE WHEN u.result IS NULL THEN '{}' ELSE jsonb_build_object('result', u.result) END
                           || CASE WHEN u.error_code IS NULL AND u.error_message IS NULL THEN '{}'
                                   ELSE jsonb_build_object('error', jsonb_build_object('code', coalesce(u.error_code, ''),
                                                                                       'message', coalesce(u.error_message, ''))) END
                           || CASE WHEN u.not_before IS NULL THEN '{}' ELSE jsonb_build_object('notBefore', to_char(u.not_before AT TIME ZONE 'UTC', {{UtcInstant}})) END),
                   @callback_deadline, @now, @now, u.id
            FROM updated u
            WHERE u.callback_url IS NOT NULL AND u.type <> '{{CallbackEventTypes.DeliveryTypeName}}' AND u.previous_status <> u.status
            RETURNING id, tenant, client_id, payload
        ),
        callback_queued AS (
            INSERT INTO outbox ({{OutboxColumns}})
            SELECT id, '{{CallbackEventTypes.DeliveryTypeName}}', @callback_message_type,
                   payload || jsonb_build_object('commandId', id, 'tenant', tenant),
                   @callback_headers || jsonb_build_object('{{MessageHeaders.Tenant}}', tenant, '{{MessageHeaders.Client}}', client_id),
                   @now, @now, 'command'
            FROM callback
        )
        """;

    // A delivery that ended (delivered, or dead-lettered when its retries are spent) shows on its subject, unless a later
    // transition of the subject queued a newer delivery (ids are UUIDv7: a later one is greater).
    private const string DeliveryEndedSql =
        $"""
        delivery_ended AS (
            UPDATE commands s
            SET callback_state = CASE WHEN u.status = 'Succeeded' THEN 'Delivered' ELSE 'DeadLettered' END,
                callback_attempts = u.attempts,
                callback_last_error = CASE WHEN u.status = 'Succeeded' THEN NULL ELSE u.error_message END
            FROM updated u
            WHERE s.id = u.callback_of AND {NoNewerDelivery}
        )
        """;

    // An instant as the status document writes it: ISO 8601 in UTC with microseconds (what PostgreSQL stores).
    private const string UtcInstant = "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'";

    private const string EventTypeCases =
        $"WHEN 'Succeeded' THEN '{CallbackEventTypes.Succeeded}' WHEN 'Failed' THEN '{CallbackEventTypes.Failed}' "
        + $"WHEN 'DeadLettered' THEN '{CallbackEventTypes.DeadLettered}' WHEN 'Expired' THEN '{CallbackEventTypes.Expired}' "
        + $"WHEN 'Cancelled' THEN '{CallbackEventTypes.Cancelled}'";

    private const string NoNewerDelivery =
        "NOT EXISTS (SELECT 1 FROM commands newer WHERE newer.callback_of = s.id AND newer.id > u.id)";

    private const string FinishAloneSql =
        $"""
        {FinishSql}
        SELECT count(*) FROM updated
        """;

    /// <summary>
    /// Takes the transaction-scoped advisory lock on (tenant, key) and reads what the key stands for. The
    /// lock tells a request still in flight from one that has finished: only one holder at a time, released
    /// exactly when the holder commits or rolls back. With <paramref name="wait"/> false a held lock answers
    /// <see cref="IdempotencyClaim.InFlight"/> at once (the HTTP API's 409); with true it waits for the holder
    /// to finish (the outbox library, inside a caller's transaction). An expired record is deleted and counts
    /// as absent.
    /// </summary>
    public static async Task<IdempotencyClaim> ClaimIdempotencyKeyAsync(
        NpgsqlTransaction transaction, string tenant, string key, DateTimeOffset now, bool wait, CancellationToken cancellationToken)
    {
        var connection = transaction.Connection!;
        await using (var takeLock = new NpgsqlCommand(
            wait ? "SELECT true FROM pg_advisory_xact_lock(@lock_key)" : "SELECT pg_try_advisory_xact_lock(@lock_key)", connection, transaction))
        {
            // pg_advisory_xact_lock returns void: selecting from it yields one row once the lock is held.
            takeLock.Parameters.AddWithValue("lock_key", CommandRows.IdempotencyLockKey(tenant, key));
            if (await takeLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                return new IdempotencyClaim.InFlight();
            }
        }

        // Read committed: this statement's snapshot is taken after the lock, so it sees a first request that just committed.
        await using (var select = new NpgsqlCommand(
            "SELECT request_hash, command_id, response_body::text, expires_at FROM idempotency_keys WHERE tenant = @tenant AND key = @key",
            connection, transaction))
        {
            select.Parameters.AddWithValue("tenant", tenant);
            select.Parameters.AddWithValue("key", key);
            await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return new IdempotencyClaim.Free();
            }

            if (reader.GetFieldValue<DateTimeOffset>(3) > now)
            {
                return new IdempotencyClaim.Stored(reader.GetFieldValue<byte[]>(0), reader.GetGuid(1), reader.GetString(2));
            }
        }

        // Expired keys count as absent: forget the old record in this same transaction.
        await using var delete = new NpgsqlCommand("DELETE FROM idempotency_keys WHERE tenant = @tenant AND key = @key", connection, transaction);
        delete.Parameters.AddWithValue("tenant", tenant);
        delete.Parameters.AddWithValue("key", key);
        await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        return new IdempotencyClaim.Free();
    }

    /// <summary>
    /// <see cref="ClaimIdempotencyKeyAsync"/> without waiting, for many keys (distinct pairs) in one round trip: one statement
    /// takes every key's transaction-scoped advisory lock, the next reads the stored records. Read committed gives the
    /// second statement a snapshot taken after the first one's locks, as the single claim's second statement has; a
    /// third statement, only when some record expired, deletes those. Returns one claim per key, in order.
    /// </summary>
    public static async Task<IdempotencyClaim[]> TryClaimIdempotencyKeysAsync(
        NpgsqlTransaction transaction, IReadOnlyList<(string Tenant, string Key, DateTimeOffset Now)> keys, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(keys);
        var claims = new IdempotencyClaim[keys.Count];
        if (keys.Count == 0)
        {
            return claims;
        }

        var tenants = keys.Select(k => k.Tenant).ToArray();
        var names = keys.Select(k => k.Key).ToArray();
        var takeLocks = new NpgsqlBatchCommand("SELECT pg_try_advisory_xact_lock(k) FROM unnest(@lock_keys) WITH ORDINALITY AS t(k, ord) ORDER BY ord");
        takeLocks.Parameters.AddWithValue("lock_keys", keys.Select(k => CommandRows.IdempotencyLockKey(k.Tenant, k.Key)).ToArray());
        var read = new NpgsqlBatchCommand(
            """
            SELECT t.ord, i.request_hash, i.command_id, i.response_body::text, i.expires_at
            FROM unnest(@tenants, @keys) WITH ORDINALITY AS t(tenant, key, ord)
            JOIN idempotency_keys i ON i.tenant = t.tenant AND i.key = t.key
            """);
        read.Parameters.AddWithValue("tenants", tenants);
        read.Parameters.AddWithValue("keys", names);
        List<int>? expired = null;
        await using (var batch = new NpgsqlBatch(transaction.Connection, transaction) { BatchCommands = { takeLocks, read } })
        await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            for (var i = 0; await reader.ReadAsync(cancellationToken).ConfigureAwait(false); i++)
            {
                claims[i] = reader.GetBoolean(0) ? new IdempotencyClaim.Free() : new IdempotencyClaim.InFlight();
            }

            await reader.NextResultAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                var i = (int)reader.GetInt64(0) - 1;
                if (claims[i] is IdempotencyClaim.InFlight)
                {
                    continue;
                }

                if (reader.GetFieldValue<DateTimeOffset>(4) > keys[i].Now)
                {
                    claims[i] = new IdempotencyClaim.Stored(reader.GetFieldValue<byte[]>(1), reader.GetGuid(2), reader.GetString(3));
                }
                else
                {
                    (expired ??= []).Add(i);
                }
            }
        }

        if (expired is not null)
        {
            // Expired keys count as absent: forget the old records in this same transaction.
            await using var delete = new NpgsqlCommand(
                "DELETE FROM idempotency_keys i USING unnest(@tenants, @keys) AS t(tenant, key) WHERE i.tenant = t.tenant AND i.key = t.key",
                transaction.Connection, transaction);
            delete.Parameters.AddWithValue("tenants", expired.Select(i => tenants[i]).ToArray());
            delete.Parameters.AddWithValue("keys", expired.Select(i => names[i]).ToArray());
            await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        return claims;
    }

    /// <summary>
    /// Inserts the <c>commands</c> row with no attempts yet: <c>Accepted</c>, or <c>Scheduled</c> when it waits for its
    /// <see cref="CommandRow.NotBefore"/>.
    /// </summary>
    public static async Task InsertCommandAsync(NpgsqlTransaction transaction, CommandRow row, CancellationToken cancellationToken)
    {
        await using var insert = CommandIn(transaction, InsertCommandSql, row, row.IsScheduled ? CommandStatus.Scheduled : CommandStatus.Accepted);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts the <c>commands</c> row of a command that reached RabbitMQ without one (the gateway published
    /// it directly while PostgreSQL was down), with <paramref name="status"/> and no attempts; a row that
    /// already exists is left as it is. Returns whether this call inserted it.
    /// </summary>
    public static async Task<bool> InsertCommandIfAbsentAsync(NpgsqlTransaction transaction, CommandRow row, CommandStatus status, CancellationToken cancellationToken)
    {
        await using var insert = CommandIn(transaction, $"""
            {InsertCommandSql}
            ON CONFLICT (id) DO NOTHING
            """, row, status);
        return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }

    /// <summary>Remembers an idempotency key with the request's hash and the response to replay.</summary>
    public static async Task InsertIdempotencyKeyAsync(
        NpgsqlTransaction transaction,
        CommandRow row,
        string key,
        byte[] requestHash,
        int statusCode,
        string responseBody,
        DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        await using var insert = KeyIn(transaction, $"""
            INSERT INTO idempotency_keys ({KeyColumns})
            VALUES (@tenant, @key, @request_hash, @command_id, @status_code, @response_body, @now, @expires_at)
            """, row, key, requestHash, responseBody, expiresAt);
        insert.Parameters.AddWithValue("status_code", statusCode);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records an idempotency key seen while PostgreSQL was down (reconciliation), unless the tenant already
    /// holds the key for an unexpired record; an expired record is replaced. Returns the command id the key
    /// stands for afterwards (this row's, or the earlier holder's).
    /// </summary>
    public static async Task<Guid> InsertIdempotencyKeyIfAbsentAsync(
        NpgsqlTransaction transaction,
        CommandRow row,
        string key,
        byte[] requestHash,
        string responseBody,
        DateTimeOffset expiresAt,
        CancellationToken cancellationToken)
    {
        await using var insert = KeyIn(transaction, $"""
            WITH upserted AS (
                INSERT INTO idempotency_keys ({KeyColumns})
                VALUES (@tenant, @key, @request_hash, @command_id, 202, @response_body, @now, @expires_at)
                ON CONFLICT (tenant, key) DO UPDATE
                SET request_hash = EXCLUDED.request_hash, command_id = EXCLUDED.command_id, status_code = EXCLUDED.status_code,
                    response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                WHERE idempotency_keys.expires_at <= @now
                RETURNING command_id
            )
            SELECT command_id FROM upserted
            UNION ALL
            SELECT command_id FROM idempotency_keys WHERE tenant = @tenant AND key = @key AND NOT EXISTS (SELECT 1 FROM upserted)
            """, row, key, requestHash, responseBody, expiresAt);
        return await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is Guid holder ? holder : row.Id;
    }

    /// <summary>Adds <paramref name="message"/> to the outbox within <paramref name="transaction"/>, created at <paramref name="createdAt"/>.</summary>
    public static async Task InsertOutboxAsync(NpgsqlTransaction transaction, OutboxMessage message, DateTimeOffset createdAt, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO outbox ({OutboxColumns})
            VALUES (@command_id, @destination, @message_type, @body, @headers, @not_before, @created_at, @kind)
            """, transaction.Connection, transaction);
        command.Parameters.AddWithValue("command_id", message.CommandId);
        command.Parameters.AddWithValue("destination", message.Destination);
        command.Parameters.AddWithValue("message_type", message.MessageType);
        command.Parameters.AddWithValue("body", NpgsqlDbType.Jsonb, message.Body);
        command.Parameters.AddWithValue("headers", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(message.Headers));
        command.Parameters.AddWithValue("not_before", message.NotBefore);
        command.Parameters.AddWithValue("created_at", createdAt);
        command.Parameters.AddWithValue("kind", message.Kind == OutboxMessageKind.Event ? "event" : "command");
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds to <paramref name="batch"/> the move of the published commands to <c>Dispatched</c> (only those still
    /// <c>Accepted</c>: a worker may already have started one), in the relay's transaction and round trip.
    /// </summary>
    public static void AddMarkDispatched(NpgsqlBatch batch, Guid[] commandIds, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand("UPDATE commands SET status = 'Dispatched', updated_at = @now WHERE id = ANY(@commands) AND status = 'Accepted'");
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("commands", commandIds);
        batch.BatchCommands.Add(command);
    }

    /// <summary>
    /// Sets <c>Processing</c> with <paramref name="attempt"/> as the attempts made, unless the command is terminal (or
    /// gone) or the attempt is stale (a later one is scheduled or running); the same attempt may start again while it is
    /// <c>Processing</c> (a redelivery). Runs alone. Returns the attempt count, or null when nothing changed.
    /// </summary>
    public static async Task<int?> StartAttemptAsync(NpgsqlDataSource dataSource, Guid commandId, int attempt, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection) { BatchCommands = { StartAttemptStatement(commandId, attempt, now) } };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await ReadStartAttemptAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The statement of <see cref="StartAttemptAsync"/>, to run in a batch of single-row statements; read it with <see cref="ReadStartAttemptAsync"/>.</summary>
    public static NpgsqlBatchCommand StartAttemptStatement(Guid commandId, int attempt, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(
            """
            UPDATE commands
            SET status = 'Processing', attempts = @attempt, updated_at = @now
            WHERE id = @id AND NOT (status = ANY (@terminal))
              AND (attempts < @attempt OR (attempts = @attempt AND status = 'Processing'))
            RETURNING attempts
            """);
        command.Parameters.AddWithValue("id", commandId);
        command.Parameters.AddWithValue("attempt", attempt);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("terminal", TerminalStatuses);
        return command;
    }

    /// <summary>The attempt count <see cref="StartAttemptStatement"/> set, or null when it changed nothing.</summary>
    public static async Task<int?> ReadStartAttemptAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? reader.GetInt32(0) : null;
    }

    /// <summary>
    /// Sets <c>Cancelled</c> on a command of <paramref name="tenant"/> that no attempt has started: <c>Accepted</c>,
    /// <c>Dispatched</c> or <c>Scheduled</c>. One conditional statement, run alone: it and the worker's claim
    /// (<see cref="StartAttemptAsync"/>, which refuses a terminal command) take the same row lock and each re-checks its
    /// condition on the row the other committed, so exactly one of them applies. Returns whether it did.
    /// </summary>
    public static async Task<bool> CancelAsync(NpgsqlDataSource dataSource, Guid commandId, string tenant, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(CancelSql);
        command.Parameters.AddWithValue("id", commandId);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("cancellable", CancellableStatuses);
        AddCallbackParameters(command.Parameters, now);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is > 0L;
    }

    /// <summary>
    /// Sets <c>Scheduled</c> within <paramref name="transaction"/> (the caller adds the outbox row that brings the
    /// command back): <paramref name="attemptsMade"/> as the attempts, the error shown meanwhile, and, when
    /// <paramref name="failed"/>, the time of the first failure if none is recorded yet. Only a command of
    /// <paramref name="tenant"/> that is not terminal changes. Returns whether it did. A failed attempt of a callback
    /// delivery shows on its subject's callback (<c>Delivering</c>, the attempts, the error).
    /// </summary>
    public static async Task<bool> ScheduleAsync(NpgsqlTransaction transaction, Guid commandId, string tenant, int attemptsMade, string errorCode,
        string errorMessage, bool failed, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            $"""
            WITH updated AS (
                UPDATE commands
                SET status = 'Scheduled', attempts = @attempts, error_code = @error_code, error_message = @error_message, updated_at = @now,
                    first_failure_at = CASE WHEN @failed THEN coalesce(first_failure_at, @now) ELSE first_failure_at END
                WHERE id = @id AND tenant = @tenant AND NOT (status = ANY (@terminal))
                RETURNING id, callback_of
            ),
            delivery_failed AS (
                UPDATE commands s
                SET callback_state = 'Delivering', callback_attempts = @attempts, callback_last_error = @error_message
                FROM updated u
                WHERE @failed AND s.id = u.callback_of AND {NoNewerDelivery}
            )
            SELECT id FROM updated
            """, transaction.Connection, transaction);
        update.Parameters.AddWithValue("id", commandId);
        update.Parameters.AddWithValue("tenant", tenant);
        update.Parameters.AddWithValue("attempts", attemptsMade);
        update.Parameters.AddWithValue("error_code", errorCode);
        update.Parameters.AddWithValue("error_message", errorMessage);
        update.Parameters.AddWithValue("failed", failed);
        update.Parameters.AddWithValue("now", now);
        update.Parameters.AddWithValue("terminal", TerminalStatuses);
        return await update.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not null;
    }

    /// <summary>
    /// Stores the provider's answer, in one statement run alone: <c>Succeeded</c> with <paramref name="resultJson"/>, or
    /// <c>Failed</c> with the refusal (the result cleared). Returns false when the command was already terminal (nothing
    /// changed). The terminal status is the inbox: a later delivery of the same command reads it and calls nothing, so no
    /// inbox row is written beside it (earlier releases wrote one; the cleanup deletes what is left of them).
    /// </summary>
    public static async Task<bool> CompleteAsync(NpgsqlDataSource dataSource, Guid commandId, bool succeeded, string? resultJson,
        string? errorCode, string? errorMessage, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection)
        {
            BatchCommands = { CompleteStatement(commandId, succeeded, resultJson, errorCode, errorMessage, now) },
        };
        await using var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await ReadFinishedAsync(reader, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The statement of <see cref="CompleteAsync"/>, to run in a batch of single-row statements (its callback, if any, is
    /// queued in the same statement); read it with <see cref="ReadFinishedAsync"/>.
    /// </summary>
    public static NpgsqlBatchCommand CompleteStatement(Guid commandId, bool succeeded, string? resultJson, string? errorCode, string? errorMessage,
        DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(FinishAloneSql);
        AddFinishParameters(command.Parameters, commandId, succeeded ? CommandStatus.Succeeded : CommandStatus.Failed, setsResult: true, resultJson,
            errorCode, errorMessage, now);
        return command;
    }

    /// <summary>Whether <see cref="CompleteStatement"/> changed the row (false: the command was already terminal).</summary>
    public static async Task<bool> ReadFinishedAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) && !reader.IsDBNull(0) && reader.GetInt64(0) > 0;
    }

    /// <summary>Sets <c>Expired</c> with the error, run alone. Returns false when the command was already terminal.</summary>
    public static async Task<bool> ExpireAsync(NpgsqlDataSource dataSource, Guid commandId, string errorCode, string errorMessage, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(FinishAloneSql);
        return await FinishAsync(command, commandId, CommandStatus.Expired, setsResult: false, resultJson: null, errorCode, errorMessage, now,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Sets <c>DeadLettered</c> (error code <c>dead_lettered</c>, <paramref name="reason"/> as the message) within
    /// <paramref name="transaction"/>. A command with a final outcome (succeeded, failed or expired: a late duplicate
    /// failed) keeps it; one already dead-lettered takes the new reason. Returns whether the row changed.
    /// </summary>
    public static async Task<bool> DeadLetterAsync(NpgsqlTransaction transaction, Guid commandId, string reason, DateTimeOffset now,
        CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(FinishAloneSql, transaction.Connection, transaction);
        return await FinishAsync(command, commandId, CommandStatus.DeadLettered, setsResult: false, resultJson: null, "dead_lettered", reason, now,
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Adds to <paramref name="batch"/> the return of a dead-lettered command to <c>Accepted</c> with no attempts, no
    /// error and the fresh <paramref name="deadline"/> (a redrive; its outbox row, written with
    /// <see cref="InsertOutboxAsync"/>, carries the same deadline). A command no longer <c>DeadLettered</c> is left as it is.
    /// A redriven callback delivery shows its subject's callback as <c>Pending</c> again.
    /// </summary>
    public static void AddRedrive(NpgsqlBatch batch, Guid commandId, DateTimeOffset deadline, DateTimeOffset now)
    {
        var command = new NpgsqlBatchCommand(
            $"""
            WITH updated AS (
                UPDATE commands
                SET status = 'Accepted', attempts = 0, error_code = NULL, error_message = NULL, deadline = @deadline, updated_at = @now
                WHERE id = @command_id AND status = 'DeadLettered'
                RETURNING id, callback_of
            )
            UPDATE commands s
            SET callback_state = 'Pending', callback_attempts = 0, callback_last_error = NULL
            FROM updated u
            WHERE s.id = u.callback_of AND {NoNewerDelivery}
            """);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("deadline", deadline);
        command.Parameters.AddWithValue("command_id", commandId);
        batch.BatchCommands.Add(command);
    }

    /// <summary>Stores a fallback's result (JSON) on a command within <paramref name="transaction"/>, leaving its status as it is.</summary>
    public static async Task SetResultAsync(NpgsqlTransaction transaction, Guid commandId, string resultJson, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand("UPDATE commands SET result = @result WHERE id = @id", transaction.Connection, transaction);
        update.Parameters.AddWithValue("id", commandId);
        update.Parameters.AddWithValue("result", NpgsqlDbType.Jsonb, resultJson);
        await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The terminal writes' one statement: <paramref name="status"/> unless the command is already terminal (for
    /// <c>DeadLettered</c>: unless it has a final outcome), the error, and the result when <paramref name="setsResult"/>.
    /// </summary>
    private static async Task<bool> FinishAsync(NpgsqlCommand command, Guid commandId, CommandStatus status, bool setsResult, string? resultJson,
        string? errorCode, string? errorMessage, DateTimeOffset now, CancellationToken cancellationToken)
    {
        AddFinishParameters(command.Parameters, commandId, status, setsResult, resultJson, errorCode, errorMessage, now);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is > 0L;
    }

    private static void AddFinishParameters(NpgsqlParameterCollection parameters, Guid commandId, CommandStatus status, bool setsResult, string? resultJson,
        string? errorCode, string? errorMessage, DateTimeOffset now)
    {
        parameters.AddWithValue("id", commandId);
        parameters.AddWithValue("status", status.ToString());
        parameters.AddWithValue("set_result", setsResult);
        parameters.Add(new NpgsqlParameter("result", NpgsqlDbType.Jsonb) { Value = (object?)resultJson ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("error_code", NpgsqlDbType.Text) { Value = (object?)errorCode ?? DBNull.Value });
        parameters.Add(new NpgsqlParameter("error_message", NpgsqlDbType.Text) { Value = (object?)errorMessage ?? DBNull.Value });
        parameters.AddWithValue("now", now);
        parameters.AddWithValue("final", status == CommandStatus.DeadLettered ? OutcomeStatuses : TerminalStatuses);
        AddCallbackParameters(parameters, now);
    }

    /// <summary>
    /// The parameters of <see cref="QueueCallbackSql"/>: the delivery's id (a UUIDv7: the <c>webhook-id</c>, and later than
    /// any earlier delivery of the same subject), its deadline, and its message's type and headers (the tenant and client
    /// are the subject's, added by the statement; the trace context is the current activity's, so the delivery continues
    /// the trace of the write that queued it). Unused when the subject has no callback.
    /// </summary>
    private static void AddCallbackParameters(NpgsqlParameterCollection parameters, DateTimeOffset now)
    {
        var deadline = now + CallbackDeliveryDeadline;
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.CommandType] = CallbackEventTypes.DeliveryTypeName,
            [MessageHeaders.Deadline] = CommandRows.HeaderInstant(deadline),
            [MessageHeaders.Attempt] = "1",
        };
        TraceContextHeaders.AddCurrent(headers);
        parameters.AddWithValue("callback_id", Guid.CreateVersion7(now));
        parameters.AddWithValue("callback_deadline", deadline);
        parameters.AddWithValue("callback_message_type", CallbackMessageType);
        parameters.AddWithValue("callback_headers", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(headers));
    }

    private static NpgsqlCommand CommandIn(NpgsqlTransaction transaction, string sql, CommandRow row, CommandStatus status)
    {
        var insert = new NpgsqlCommand(sql, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("id", row.Id);
        insert.Parameters.AddWithValue("tenant", row.Tenant);
        insert.Parameters.AddWithValue("client_id", row.ClientId);
        insert.Parameters.AddWithValue("type", row.TypeName);
        insert.Parameters.AddWithValue("status", status.ToString());
        insert.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, row.Payload);
        insert.Parameters.AddWithValue("idempotency_key", NpgsqlDbType.Text, (object?)row.IdempotencyKey ?? DBNull.Value);
        insert.Parameters.AddWithValue("deadline", row.Deadline);
        insert.Parameters.AddWithValue("now", row.Now);
        insert.Parameters.AddWithValue("not_before", NpgsqlDbType.TimestampTz, row.IsScheduled ? row.NotBefore!.Value : (object)DBNull.Value);
        insert.Parameters.AddWithValue("callback_url", NpgsqlDbType.Text, (object?)row.CallbackUrl ?? DBNull.Value);
        return insert;
    }

    private static NpgsqlCommand KeyIn(NpgsqlTransaction transaction, string sql, CommandRow row, string key, byte[] requestHash, string responseBody,
        DateTimeOffset expiresAt)
    {
        var insert = new NpgsqlCommand(sql, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("tenant", row.Tenant);
        insert.Parameters.AddWithValue("key", key);
        insert.Parameters.AddWithValue("request_hash", requestHash);
        insert.Parameters.AddWithValue("command_id", row.Id);
        insert.Parameters.AddWithValue("response_body", NpgsqlDbType.Jsonb, responseBody);
        insert.Parameters.AddWithValue("now", row.Now);
        insert.Parameters.AddWithValue("expires_at", expiresAt);
        return insert;
    }

    /// <summary>
    /// The group commit's one statement for every row of a batch: the commands rows (an id that exists already is
    /// skipped, with its idempotency record and outbox row: its first commit wrote them), the idempotency records and the
    /// outbox rows, in submission order. Unnamed parameters ($1, $2, …): Npgsql sends the statement as it is instead of
    /// parsing and rewriting it per batch. Its owner keeps it for reuse (a pool, one per batch in flight): its typed
    /// parameters keep their resolved types and the SQL is parsed once.
    /// </summary>
    public sealed class AcceptBatch
    {
        private const string Sql =
            $"""
            WITH input AS (
                SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                                     $12, $13, $14, $15, $16, $18) WITH ORDINALITY
                    AS t(id, tenant, client_id, type, payload, idempotency_key, deadline, now, request_hash, response_body, expires_at,
                         destination, message_type, body, headers, not_before, callback_url, ord)
            ),
            inserted AS (
                INSERT INTO commands ({CommandColumns})
                SELECT id, tenant, client_id, type, CASE WHEN not_before > now THEN 'Scheduled' ELSE 'Accepted' END, 0, payload::jsonb,
                       idempotency_key, deadline, now, now, CASE WHEN not_before > now THEN not_before END,
                       coalesce(callback_url, (SELECT c.callback_url FROM clients c WHERE c.client_id = input.client_id))
                FROM input ORDER BY ord
                ON CONFLICT (id) DO NOTHING
                RETURNING id
            ),
            keys AS (
                INSERT INTO idempotency_keys ({KeyColumns})
                SELECT tenant, idempotency_key, request_hash, id, 202, response_body::jsonb, now, expires_at FROM input
                WHERE idempotency_key IS NOT NULL AND id IN (SELECT id FROM inserted)
            )
            INSERT INTO outbox ({OutboxColumns})
            SELECT id, destination, message_type, body::jsonb, headers::jsonb, not_before, $17, 'command' FROM input
            WHERE id IN (SELECT id FROM inserted)
            ORDER BY ord
            """;

        private readonly NpgsqlParameter<Guid[]> _ids = Positional<Guid[]>(NpgsqlDbType.Array | NpgsqlDbType.Uuid);
        private readonly NpgsqlParameter<string[]> _tenants = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<string[]> _clients = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<string[]> _types = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<string[]> _payloads = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<string?[]> _keys = Positional<string?[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<DateTimeOffset[]> _deadlines = Positional<DateTimeOffset[]>(NpgsqlDbType.Array | NpgsqlDbType.TimestampTz);
        private readonly NpgsqlParameter<DateTimeOffset[]> _nows = Positional<DateTimeOffset[]>(NpgsqlDbType.Array | NpgsqlDbType.TimestampTz);
        private readonly NpgsqlParameter<byte[]?[]> _hashes = Positional<byte[]?[]>(NpgsqlDbType.Array | NpgsqlDbType.Bytea);
        private readonly NpgsqlParameter<string?[]> _responses = Positional<string?[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<DateTimeOffset?[]> _expiries = Positional<DateTimeOffset?[]>(NpgsqlDbType.Array | NpgsqlDbType.TimestampTz);
        private readonly NpgsqlParameter<string[]> _destinations = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<string[]> _messageTypes = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<string[]> _bodies = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<string[]> _headers = Positional<string[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);
        private readonly NpgsqlParameter<DateTimeOffset[]> _notBefores = Positional<DateTimeOffset[]>(NpgsqlDbType.Array | NpgsqlDbType.TimestampTz);
        private readonly NpgsqlParameter<DateTimeOffset> _createdAt = Positional<DateTimeOffset>(NpgsqlDbType.TimestampTz);
        private readonly NpgsqlParameter<string?[]> _callbackUrls = Positional<string?[]>(NpgsqlDbType.Array | NpgsqlDbType.Text);

        public AcceptBatch()
        {
            Command = new NpgsqlCommand(Sql);
            Command.Parameters.Add(_ids);
            Command.Parameters.Add(_tenants);
            Command.Parameters.Add(_clients);
            Command.Parameters.Add(_types);
            Command.Parameters.Add(_payloads);
            Command.Parameters.Add(_keys);
            Command.Parameters.Add(_deadlines);
            Command.Parameters.Add(_nows);
            Command.Parameters.Add(_hashes);
            Command.Parameters.Add(_responses);
            Command.Parameters.Add(_expiries);
            Command.Parameters.Add(_destinations);
            Command.Parameters.Add(_messageTypes);
            Command.Parameters.Add(_bodies);
            Command.Parameters.Add(_headers);
            Command.Parameters.Add(_notBefores);
            Command.Parameters.Add(_createdAt);
            Command.Parameters.Add(_callbackUrls);
        }

        /// <summary>The statement; attach it to the batch's connection and transaction after <see cref="Fill"/>.</summary>
        public NpgsqlCommand Command { get; }

        /// <summary>Sets the parameters to the rows of <paramref name="rows"/>, the outbox rows created at <paramref name="createdAt"/>.</summary>
        public void Fill<T>(List<T> rows, DateTimeOffset createdAt)
            where T : IBatchedAccept
        {
            var count = rows.Count;
            var ids = new Guid[count];
            var tenants = new string[count];
            var clients = new string[count];
            var types = new string[count];
            var payloads = new string[count];
            var keys = new string?[count];
            var deadlines = new DateTimeOffset[count];
            var nows = new DateTimeOffset[count];
            var hashes = new byte[]?[count];
            var responses = new string?[count];
            var expiries = new DateTimeOffset?[count];
            var destinations = new string[count];
            var messageTypes = new string[count];
            var bodies = new string[count];
            var headers = new string[count];
            var notBefores = new DateTimeOffset[count];
            var callbackUrls = new string?[count];
            for (var i = 0; i < count; i++)
            {
                var accepted = rows[i];
                var (row, message) = (accepted.Row, accepted.Message);
                ids[i] = row.Id;
                tenants[i] = row.Tenant;
                clients[i] = row.ClientId;
                types[i] = row.TypeName;
                payloads[i] = row.Payload;
                keys[i] = row.IdempotencyKey;
                deadlines[i] = row.Deadline;
                nows[i] = row.Now;
                hashes[i] = accepted.RequestHash;
                responses[i] = accepted.StoredResponse();
                expiries[i] = accepted.KeyExpiresAt;
                destinations[i] = message.Destination;
                messageTypes[i] = message.MessageType;
                bodies[i] = message.Body;
                headers[i] = JsonSerializer.Serialize(message.Headers);
                notBefores[i] = message.NotBefore;
                callbackUrls[i] = row.CallbackUrl;
            }

            _ids.TypedValue = ids;
            _tenants.TypedValue = tenants;
            _clients.TypedValue = clients;
            _types.TypedValue = types;
            _payloads.TypedValue = payloads;
            _keys.TypedValue = keys;
            _deadlines.TypedValue = deadlines;
            _nows.TypedValue = nows;
            _hashes.TypedValue = hashes;
            _responses.TypedValue = responses;
            _expiries.TypedValue = expiries;
            _destinations.TypedValue = destinations;
            _messageTypes.TypedValue = messageTypes;
            _bodies.TypedValue = bodies;
            _headers.TypedValue = headers;
            _notBefores.TypedValue = notBefores;
            _createdAt.TypedValue = createdAt;
            _callbackUrls.TypedValue = callbackUrls;
        }

        /// <summary>Detaches the statement from its connection and lets go of the batch's rows before it is reused.</summary>
        public void Release()
        {
            Command.Connection = null;
            Command.Transaction = null;
            _ids.TypedValue = null;
            _tenants.TypedValue = null;
            _clients.TypedValue = null;
            _types.TypedValue = null;
            _payloads.TypedValue = null;
            _keys.TypedValue = null;
            _deadlines.TypedValue = null;
            _nows.TypedValue = null;
            _hashes.TypedValue = null;
            _responses.TypedValue = null;
            _expiries.TypedValue = null;
            _destinations.TypedValue = null;
            _messageTypes.TypedValue = null;
            _bodies.TypedValue = null;
            _headers.TypedValue = null;
            _notBefores.TypedValue = null;
            _callbackUrls.TypedValue = null;
        }

        private static NpgsqlParameter<T> Positional<T>(NpgsqlDbType type) => new() { NpgsqlDbType = type };
    }
}

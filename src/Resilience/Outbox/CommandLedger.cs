using System.Text.Json;
using Messaging.Contracts.Commands;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Resilience.Outbox;

/// <summary>What an idempotency key already stands for, inside the transaction that claimed it.</summary>
internal abstract record IdempotencyClaim
{
    /// <summary>The key is unused (or its record expired and was removed): this request may store its command.</summary>
    public sealed record Free : IdempotencyClaim;

    /// <summary>Another transaction holds the key right now.</summary>
    public sealed record InFlight : IdempotencyClaim;

    /// <summary>The key was used by a committed request.</summary>
    /// <param name="RequestHash">The hash of that request (see <see cref="CommandRows.RequestHash"/>).</param>
    /// <param name="CommandId">The command it created.</param>
    /// <param name="ResponseBody">The stored 202 body, JSON.</param>
    public sealed record Stored(byte[] RequestHash, Guid CommandId, string ResponseBody) : IdempotencyClaim;
}

/// <summary>A command accepted in a group commit, as <see cref="CommandLedger.AcceptBatch"/> writes its rows.</summary>
internal interface IBatchedAccept
{
    /// <summary>The <c>commands</c> row (its <see cref="CommandRow.IdempotencyKey"/> says whether a key record is written).</summary>
    CommandRow Row { get; }

    /// <summary>The outbox message that carries the command to its queue.</summary>
    OutboxMessage Message { get; }

    /// <summary>The request's hash for the idempotency record; null without a key.</summary>
    byte[]? RequestHash { get; }

    /// <summary>When the idempotency record expires; null without a key.</summary>
    DateTimeOffset? KeyExpiresAt { get; }

    /// <summary>The 202 body to store with the key (JSON); null without a key.</summary>
    string? StoredResponse();
}

/// <summary>
/// The one owner of the command rows: every statement that inserts into <c>commands</c>, <c>idempotency_keys</c> or
/// <c>outbox</c> is here; the classes that decide when to write (the gateway's <c>CommandStore</c> and
/// <c>GroupCommitWriter</c>, <see cref="CommandOutbox"/>, <see cref="OutboxWriter"/>, the workers' status store and
/// fallbacks) call it: accepted (<see cref="InsertCommandAsync"/>, or a group commit's <see cref="AcceptBatch"/>) and
/// recorded after a direct publish (<see cref="InsertCommandIfAbsentAsync"/>). The row shapes (the command row, the
/// outbox message and its headers) come from <see cref="CommandRows"/>; the read-only queries stay with their readers.
/// Every method works inside the caller's transaction and never commits.
/// </summary>
internal static class CommandLedger
{
    private const string CommandColumns = "id, tenant, client_id, type, status, attempts, payload, idempotency_key, deadline, created_at, updated_at";
    private const string KeyColumns = "tenant, key, request_hash, command_id, status_code, response_body, created_at, expires_at";
    private const string OutboxColumns = "command_id, destination, message_type, body, headers, not_before, created_at, kind";

    private const string InsertCommandSql =
        $"""
        INSERT INTO commands ({CommandColumns})
        VALUES (@id, @tenant, @client_id, @type, @status, 0, @payload, @idempotency_key, @deadline, @now, @now)
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

    /// <summary>Inserts the <c>commands</c> row with status <c>Accepted</c> and no attempts yet.</summary>
    public static async Task InsertCommandAsync(NpgsqlTransaction transaction, CommandRow row, CancellationToken cancellationToken)
    {
        await using var insert = CommandIn(transaction, InsertCommandSql, row, CommandStatus.Accepted);
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
    internal sealed class AcceptBatch
    {
        private const string Sql =
            $"""
            WITH input AS (
                SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,
                                     $12, $13, $14, $15, $16) WITH ORDINALITY
                    AS t(id, tenant, client_id, type, payload, idempotency_key, deadline, now, request_hash, response_body, expires_at,
                         destination, message_type, body, headers, not_before, ord)
            ),
            inserted AS (
                INSERT INTO commands ({CommandColumns})
                SELECT id, tenant, client_id, type, 'Accepted', 0, payload::jsonb, idempotency_key, deadline, now, now FROM input ORDER BY ord
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
        }

        private static NpgsqlParameter<T> Positional<T>(NpgsqlDbType type) => new() { NpgsqlDbType = type };
    }
}

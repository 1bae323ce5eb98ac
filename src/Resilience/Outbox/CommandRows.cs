using System.Buffers.Binary;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Messaging.Contracts;
using Messaging.Contracts.Commands;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Resilience.Outbox;

/// <summary>The <c>commands</c> status row of a new command, as the status API reads it.</summary>
/// <param name="Id">The command id (also the message id and the provider's idempotency key).</param>
/// <param name="Tenant">The tenant that owns the command.</param>
/// <param name="ClientId">Who submitted it (an API client id, or the name of a service using the outbox library).</param>
/// <param name="TypeName">The command type, for example <c>payments.charge</c>.</param>
/// <param name="Payload">The request fields as JSON (camelCase, no command id or tenant).</param>
/// <param name="IdempotencyKey">The caller's idempotency key, if any.</param>
/// <param name="Deadline">When the command expires.</param>
/// <param name="Now">The acceptance time (microsecond precision, as PostgreSQL stores it).</param>
internal sealed record CommandRow(
    Guid Id,
    string Tenant,
    string ClientId,
    string TypeName,
    string Payload,
    string? IdempotencyKey,
    DateTimeOffset Deadline,
    DateTimeOffset Now);

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

/// <summary>
/// The SQL that accepts a command, shared by every way in (the gateway's HTTP API and the outbox
/// library, <see cref="CommandOutbox"/>), so both write the same rows: the <c>commands</c> status row,
/// the <c>idempotency_keys</c> record and the outbox message with the same headers. Every method works
/// inside the caller's transaction and never commits.
/// </summary>
internal static class CommandRows
{
    /// <summary>How request payloads, stored responses and message bodies are written: camelCase, enums as strings, no nulls.</summary>
    public static readonly JsonSerializerOptions StoredJson = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>The status URL of a command, as the 202 answer and <c>Location</c> give it.</summary>
    public static string StatusUrlFor(Guid id) => $"/api/commands/{id}";

    /// <summary>
    /// The hash that tells "the same request again" from "another request with the same key": the type,
    /// the timeout in seconds (empty when absent) and the normalised payload, each separated by a NUL
    /// byte so no two different triples hash the same input.
    /// </summary>
    public static byte[] RequestHash(string typeName, int? timeoutSeconds, string payload)
    {
        var input = Encoding.UTF8.GetBytes($"{typeName}\0{timeoutSeconds?.ToString(CultureInfo.InvariantCulture)}\0{payload}");
        return SHA256.HashData(input);
    }

    /// <summary>The advisory lock key for an idempotency key: the first 8 bytes of SHA-256 over a prefix, the tenant and the key.</summary>
    public static long IdempotencyLockKey(string tenant, string key)
    {
        var input = Encoding.UTF8.GetBytes($"idempotency\0{tenant}\0{key}");
        Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, hash);
        return BinaryPrimitives.ReadInt64BigEndian(hash);
    }

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
            takeLock.Parameters.AddWithValue("lock_key", IdempotencyLockKey(tenant, key));
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
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, idempotency_key, deadline, created_at, updated_at)
            VALUES (@id, @tenant, @client_id, @type, @status, 0, @payload, @idempotency_key, @deadline, @now, @now)
            """, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("id", row.Id);
        insert.Parameters.AddWithValue("tenant", row.Tenant);
        insert.Parameters.AddWithValue("client_id", row.ClientId);
        insert.Parameters.AddWithValue("type", row.TypeName);
        insert.Parameters.AddWithValue("status", nameof(CommandStatus.Accepted));
        insert.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, row.Payload);
        insert.Parameters.AddWithValue("idempotency_key", NpgsqlDbType.Text, (object?)row.IdempotencyKey ?? DBNull.Value);
        insert.Parameters.AddWithValue("deadline", row.Deadline);
        insert.Parameters.AddWithValue("now", row.Now);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
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
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO idempotency_keys (tenant, key, request_hash, command_id, status_code, response_body, created_at, expires_at)
            VALUES (@tenant, @key, @request_hash, @command_id, @status_code, @response_body, @now, @expires_at)
            """, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("tenant", row.Tenant);
        insert.Parameters.AddWithValue("key", key);
        insert.Parameters.AddWithValue("request_hash", requestHash);
        insert.Parameters.AddWithValue("command_id", row.Id);
        insert.Parameters.AddWithValue("status_code", statusCode);
        insert.Parameters.AddWithValue("response_body", NpgsqlDbType.Jsonb, responseBody);
        insert.Parameters.AddWithValue("now", row.Now);
        insert.Parameters.AddWithValue("expires_at", expiresAt);
        await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Inserts the <c>commands</c> row of a command that reached RabbitMQ without one (the gateway published
    /// it directly while PostgreSQL was down), with <paramref name="status"/> and no attempts; a row that
    /// already exists is left as it is. Returns whether this call inserted it.
    /// </summary>
    public static async Task<bool> InsertCommandIfAbsentAsync(NpgsqlTransaction transaction, CommandRow row, CommandStatus status, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, attempts, payload, idempotency_key, deadline, created_at, updated_at)
            VALUES (@id, @tenant, @client_id, @type, @status, 0, @payload, @idempotency_key, @deadline, @now, @now)
            ON CONFLICT (id) DO NOTHING
            """, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("id", row.Id);
        insert.Parameters.AddWithValue("tenant", row.Tenant);
        insert.Parameters.AddWithValue("client_id", row.ClientId);
        insert.Parameters.AddWithValue("type", row.TypeName);
        insert.Parameters.AddWithValue("status", status.ToString());
        insert.Parameters.AddWithValue("payload", NpgsqlDbType.Jsonb, row.Payload);
        insert.Parameters.AddWithValue("idempotency_key", NpgsqlDbType.Text, (object?)row.IdempotencyKey ?? DBNull.Value);
        insert.Parameters.AddWithValue("deadline", row.Deadline);
        insert.Parameters.AddWithValue("now", row.Now);
        return await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
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
        await using var insert = new NpgsqlCommand(
            """
            WITH upserted AS (
                INSERT INTO idempotency_keys (tenant, key, request_hash, command_id, status_code, response_body, created_at, expires_at)
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
            """, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("tenant", row.Tenant);
        insert.Parameters.AddWithValue("key", key);
        insert.Parameters.AddWithValue("request_hash", requestHash);
        insert.Parameters.AddWithValue("command_id", row.Id);
        insert.Parameters.AddWithValue("response_body", NpgsqlDbType.Jsonb, responseBody);
        insert.Parameters.AddWithValue("now", row.Now);
        insert.Parameters.AddWithValue("expires_at", expiresAt);
        return await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is Guid holder ? holder : row.Id;
    }

    /// <summary>
    /// The 202 body the gateway answers (and stores for idempotent replays) for a command accepted through
    /// <paramref name="acceptedVia"/> (<c>outbox</c> or <c>direct</c>).
    /// </summary>
    public static string AcceptedResponseJson(Guid id, string typeName, string acceptedVia) =>
        JsonSerializer.Serialize(new AcceptedResponse(id, typeName, nameof(CommandStatus.Accepted), StatusUrlFor(id), acceptedVia), StoredJson);

    /// <summary>The request fields as the HTTP API stores them: the message without its envelope (id and tenant).</summary>
    public static string PayloadOf(ICommandMessage command)
    {
        var node = JsonSerializer.SerializeToNode(command, command.GetType(), StoredJson)!.AsObject();
        node.Remove(JsonNamingPolicy.CamelCase.ConvertName(nameof(ICommandMessage.CommandId)));
        node.Remove(JsonNamingPolicy.CamelCase.ConvertName(nameof(ICommandMessage.Tenant)));
        return node.ToJsonString(StoredJson);
    }

    /// <summary>
    /// The outbox message of a new command: its wire message as the body, and the headers every hop
    /// reads (tenant, client, type, deadline, attempt 1, and the W3C trace context of the current activity,
    /// which the relay restores so one trace spans the writer, the relay, the worker and the provider).
    /// </summary>
    public static OutboxMessage ToOutboxMessage(CommandRow row, CommandDescriptor descriptor, ICommandMessage message)
    {
        // Header values are strings: the relay reads them as Dictionary<string, string>.
        var headers = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [MessageHeaders.Tenant] = row.Tenant,
            [MessageHeaders.Client] = row.ClientId,
            [MessageHeaders.CommandType] = descriptor.TypeName,
            [MessageHeaders.Deadline] = row.Deadline.UtcDateTime.ToString("O", CultureInfo.InvariantCulture),
            [MessageHeaders.Attempt] = "1",
        };

        if (Activity.Current is { IdFormat: ActivityIdFormat.W3C, Id: { } traceParent } activity)
        {
            headers[MessageHeaders.TraceParent] = traceParent;
            if (!string.IsNullOrEmpty(activity.TraceStateString))
            {
                headers[MessageHeaders.TraceState] = activity.TraceStateString;
            }
        }

        return new OutboxMessage(
            row.Id,
            descriptor.QueueName,
            descriptor.MessageType.FullName!,
            JsonSerializer.Serialize(message, message.GetType(), StoredJson),
            headers,
            NotBefore: row.Now);
    }

    /// <summary>A time as PostgreSQL stores it (microseconds), so what is returned equals what is read back.</summary>
    public static DateTimeOffset TruncateToMicroseconds(DateTimeOffset value) =>
        new(value.UtcTicks - (value.UtcTicks % TimeSpan.TicksPerMicrosecond), TimeSpan.Zero);
}

/// <summary>The 202 body of the commands API, as stored for replays.</summary>
internal sealed record AcceptedResponse(Guid Id, string Type, string Status, string StatusUrl, string? AcceptedVia);

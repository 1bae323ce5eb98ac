using System.Text;
using System.Text.Json;
using Messaging.CommandTypes;
using Messaging.Contracts.Callbacks;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Classification;
using Messaging.Resilience;
using Messaging.Store.Outbox;
using Npgsql;
using Polly;
using Polly.Registry;

namespace Messaging.Gateway.Commands;

/// <summary>A validated command ready to be stored.</summary>
/// <param name="Id">The new command id.</param>
/// <param name="Tenant">The tenant from the caller's token.</param>
/// <param name="ClientId">The client from the caller's token.</param>
/// <param name="Descriptor">The command type.</param>
/// <param name="Request">The normalised request (becomes the wire message).</param>
/// <param name="Payload">The normalised request as JSON (stored as the payload and hashed for idempotency).</param>
/// <param name="Deadline">When the command expires.</param>
/// <param name="Now">The acceptance time (microsecond precision, as Postgres stores it).</param>
/// <param name="Idempotency">The caller's idempotency key, if any, with the request hash and retention.</param>
/// <param name="NotBefore">When it may run (<c>Not-Before</c>), or null to run it at once.</param>
/// <param name="CallbackUrl">Where its completion callback goes (a checked, normalised <c>Callback-Url</c>), or null for none.</param>
internal sealed record NewCommand(
    Guid Id,
    string Tenant,
    string ClientId,
    CommandDescriptor Descriptor,
    CommandRequest Request,
    string Payload,
    DateTimeOffset Deadline,
    DateTimeOffset Now,
    IdempotencyRequest? Idempotency,
    DateTimeOffset? NotBefore = null,
    string? CallbackUrl = null)
{
    /// <summary>The status it is stored with, and answered in the 202: <c>Scheduled</c> while it waits for its <c>Not-Before</c>.</summary>
    public CommandStatus InitialStatus => NotBefore is { } notBefore && notBefore > Now ? CommandStatus.Scheduled : CommandStatus.Accepted;
}

/// <summary>The idempotency part of a submission.</summary>
/// <param name="Key">The <c>Idempotency-Key</c> header.</param>
/// <param name="RequestHash">
/// SHA-256 over the type, the timeout header, the normalised body and, when given, the <c>Not-Before</c> and the <c>Callback-Url</c>.
/// </param>
/// <param name="ExpiresAt">Until when the key is remembered.</param>
internal sealed record IdempotencyRequest(string Key, byte[] RequestHash, DateTimeOffset ExpiresAt)
{
    /// <summary>
    /// The hash that tells "the same request again" from "another request with the same key": the type,
    /// the <c>Command-Timeout</c> (as a number, empty when absent), the normalised payload, the <c>Not-Before</c> and the
    /// <c>Callback-Url</c> (each only when given, so keys stored before they existed still replay), separated by NUL bytes.
    /// </summary>
    public static byte[] HashOf(string typeName, int? timeoutSeconds, string payload, DateTimeOffset? notBefore = null, string? callbackUrl = null) =>
        CommandRows.RequestHash(typeName, timeoutSeconds, payload, notBefore, callbackUrl);
}

/// <summary>What became of a submission.</summary>
internal abstract record SubmitOutcome
{
    /// <summary>Stored and enqueued now.</summary>
    public sealed record Created(CommandAccepted Response) : SubmitOutcome;

    /// <summary>The key was used before for the same request: its first response.</summary>
    public sealed record Replayed(CommandAccepted Response) : SubmitOutcome;

    /// <summary>The key was used before for another request.</summary>
    public sealed record KeyReused : SubmitOutcome;

    /// <summary>Another request with the key is being processed right now.</summary>
    public sealed record KeyInFlight : SubmitOutcome;

    /// <summary>A batch item that was fine, left unwritten because another item of its batch was refused.</summary>
    public sealed record NotWritten : SubmitOutcome;

    /// <summary>No durable path could take the command (PostgreSQL and RabbitMQ, or Redis for a keyed one); nothing was accepted.</summary>
    public sealed record Unavailable(TimeSpan RetryAfter) : SubmitOutcome;
}

/// <summary>Filters of the list query (already validated).</summary>
internal sealed record CommandQuery(CommandStatus? Status, string? Type, int Limit, CommandCursor? After);

/// <summary>
/// Reads and writes commands with plain SQL, each call through the <c>postgres</c> resilience pipeline
/// (transient failures retried, fast failure while its breaker is open). A submission is one
/// transaction: the command row, the idempotency record and the outbox row commit together or not at all;
/// a retry re-runs the whole transaction.
/// </summary>
internal sealed partial class CommandStore(
    NpgsqlDataSource dataSource,
    OutboxWriter outboxWriter,
    OutboxSignal outboxSignal,
    GroupCommitWriter groupCommit,
    ResiliencePipelineProvider<string> pipelines,
    FallbackIdempotencyKeys fallbackKeys,
    ILogger<CommandStore> logger)
{
    /// <summary>How bodies, payloads and stored responses are written: camelCase, enums as strings, no nulls.</summary>
    internal static readonly JsonSerializerOptions StoredJson = CommandRows.StoredJson;

    private const string ViewColumns =
        "id, type, status, attempts, created_at, updated_at, deadline, result::text, error_code, error_message, not_before, "
        + "callback_url IS NOT NULL, callback_state, callback_attempts, callback_last_error";

    /// <summary>
    /// Stores a command, its idempotency record and its outbox row in one transaction, then wakes the
    /// relay. With an idempotency key, a transaction-scoped advisory lock on (tenant, key) tells a
    /// request that is still in flight from one that has finished: only one holder at a time, and the
    /// lock is released exactly when the first request commits or rolls back. With group commit on
    /// (<see cref="GroupCommitWriter"/>), concurrent submissions share that transaction, which runs through the
    /// <c>postgres</c> pipeline once for all of them; each still returns only after the commit. Written alone
    /// (group commit off, or a key used while PostgreSQL was down), the submission runs through the pipeline itself.
    /// </summary>
    public async ValueTask<SubmitOutcome> SubmitAsync(NewCommand command, CancellationToken cancellationToken)
    {
        // A key used while PostgreSQL was down is reconciled on the single-request path, under the key's lock:
        // the shared transaction of group commit would otherwise accept a second command for it.
        if (!await HasFallbackKeyAsync(command, cancellationToken).ConfigureAwait(false)
            && await groupCommit.TrySubmitAsync(command, cancellationToken).ConfigureAwait(false) is { } grouped)
        {
            return grouped;
        }

        return await Postgres.ExecuteAsync(static (state, ct) => state.Store.SubmitOnceAsync(state.Command, ct), (Store: this, Command: command),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Stores a batch request's items in one transaction, all or none (<see cref="GroupCommitWriter.WriteAllOrNoneAsync"/>);
    /// one outcome per item, in order. A key used while PostgreSQL was down (held in Redis until a worker records it)
    /// answers as the fallback would: in flight, reused, or its first answer; such an item is not written again.
    /// </summary>
    public async ValueTask<SubmitOutcome[]> SubmitBatchAsync(IReadOnlyList<NewCommand> commands, CancellationToken cancellationToken)
    {
        // The keys' lookups go to Redis together (one pipelined round of requests), not one after another.
        var outcomes = await Task.WhenAll(commands.Select(command => FallbackOutcomeAsync(command, cancellationToken))).ConfigureAwait(false);
        var toWrite = commands.Where((_, i) => outcomes[i] is null).ToList();

        if (outcomes.Any(o => o is SubmitOutcome.KeyInFlight or SubmitOutcome.KeyReused))
        {
            return [.. outcomes.Select(o => o ?? new SubmitOutcome.NotWritten())];
        }

        var written = toWrite.Count == 0 ? [] : await groupCommit.WriteAllOrNoneAsync(toWrite, cancellationToken).ConfigureAwait(false);
        var next = 0;
        return [.. outcomes.Select(o => o ?? written[next++])];
    }

    /// <summary>
    /// Cancels a command of <paramref name="tenant"/> that no attempt has started (<see cref="CommandLedger.CancelAsync"/>)
    /// and reads it back: whether this call cancelled it, and the command as it is now (null when it does not exist or
    /// belongs to another tenant). Run again by the pipeline after a lost acknowledgement, it finds the command cancelled.
    /// </summary>
    public ValueTask<(bool Cancelled, CommandView? View)> CancelAsync(string tenant, Guid id, DateTimeOffset now, CancellationToken cancellationToken) =>
        Postgres.ExecuteAsync(static (state, ct) => state.Store.CancelOnceAsync(state.Tenant, state.Id, state.Now, ct),
            (Store: this, Tenant: tenant, Id: id, Now: now), cancellationToken);

    /// <summary>One command of a tenant, or null when it does not exist or belongs to another tenant.</summary>
    public ValueTask<CommandView?> GetAsync(string tenant, Guid id, CancellationToken cancellationToken) =>
        Postgres.ExecuteAsync(static (state, ct) => state.Store.GetOnceAsync(state.Tenant, state.Id, ct), (Store: this, Tenant: tenant, Id: id), cancellationToken);

    /// <summary>
    /// One command with its tenant, for the operations API: of <paramref name="tenant"/> only, or of any tenant when it
    /// is null (an operator's lookup); null when there is none.
    /// </summary>
    public ValueTask<(string Tenant, CommandView View)?> FindAsync(string? tenant, Guid id, CancellationToken cancellationToken) =>
        Postgres.ExecuteAsync(static (state, ct) => state.Store.FindOnceAsync(state.Tenant, state.Id, ct), (Store: this, Tenant: tenant, Id: id), cancellationToken);

    /// <summary>A page of a tenant's commands, newest first (keyset on created_at, id).</summary>
    public ValueTask<CommandPage> ListAsync(string tenant, CommandQuery query, CancellationToken cancellationToken) =>
        Postgres.ExecuteAsync(static (state, ct) => state.Store.ListOnceAsync(state.Tenant, state.Query, ct), (Store: this, Tenant: tenant, Query: query), cancellationToken);

    private ResiliencePipeline Postgres => pipelines.GetPipeline(DependencyNames.Postgres);

    private async ValueTask<bool> HasFallbackKeyAsync(NewCommand command, CancellationToken cancellationToken)
    {
        if (command.Idempotency is not { } idempotency)
        {
            return false;
        }

        try
        {
            return await fallbackKeys.FindAsync(command.Tenant, idempotency.Key, cancellationToken).ConfigureAwait(false) is not null;
        }
        catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
        {
            // Without Redis the fallback could not have accepted a keyed command either.
            return false;
        }
    }

    private async ValueTask<SubmitOutcome> SubmitOnceAsync(NewCommand command, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

        var response = new CommandAccepted(command.Id, command.Descriptor.TypeName, command.InitialStatus, CommandAccepted.StatusUrlFor(command.Id),
            CommandAccepted.ViaOutbox);
        if (command.Idempotency is { } idempotency)
        {
            var existing = await CommandLedger.ClaimIdempotencyKeyAsync(transaction, command.Tenant, idempotency.Key, command.Now, wait: false, cancellationToken)
                .ConfigureAwait(false);
            switch (existing)
            {
                case IdempotencyClaim.InFlight:
                    return new SubmitOutcome.KeyInFlight();
                case IdempotencyClaim.Stored stored when stored.RequestHash.AsSpan().SequenceEqual(idempotency.RequestHash):
                    return new SubmitOutcome.Replayed(JsonSerializer.Deserialize<CommandAccepted>(stored.ResponseBody, StoredJson)
                        ?? throw new InvalidOperationException("A stored idempotent response is empty."));
                case IdempotencyClaim.Stored:
                    return new SubmitOutcome.KeyReused();
            }

            // Free here, but the key may have been used while PostgreSQL was down (kept in Redis until a worker
            // records it): reconcile it now, under the key's lock, instead of accepting a second command.
            if (await ReconcileFallbackKeyAsync(transaction, command, idempotency, cancellationToken).ConfigureAwait(false) is { } reconciled)
            {
                return reconciled;
            }
        }

        try
        {
            await CommandLedger.InsertCommandAsync(transaction, ToRow(command), cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "commands_pkey")
        {
            // Ids are fresh per request, so only an earlier attempt of this very submission can hold it: its
            // commit went through although the acknowledgement was lost, and the pipeline retried.
            outboxSignal.Notify();
            return new SubmitOutcome.Created(response);
        }

        if (command.Idempotency is { } key)
        {
            await CommandLedger.InsertIdempotencyKeyAsync(transaction, ToRow(command), key.Key, key.RequestHash, StatusCodes.Status202Accepted,
                JsonSerializer.Serialize(response, StoredJson), key.ExpiresAt, cancellationToken).ConfigureAwait(false);
        }

        var message = CommandRows.ToOutboxMessage(ToRow(command), command.Descriptor, command.Request.ToMessage(command.Id, command.Tenant));
        await outboxWriter.EnqueueAsync(transaction, message, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        outboxSignal.Notify();
        Log.CommandAccepted(logger, command.Id, command.Descriptor.TypeName, command.Tenant, command.Idempotency is not null);
        return new SubmitOutcome.Created(response);
    }

    // A batch item's key used while PostgreSQL was down: its outcome without writing it, or null to write it.
    private async Task<SubmitOutcome?> FallbackOutcomeAsync(NewCommand command, CancellationToken cancellationToken)
    {
        if (command.Idempotency is not { } idempotency
            || await HeldFallbackKeyAsync(command, idempotency, cancellationToken).ConfigureAwait(false) is not (var entry, var refusal))
        {
            return null;
        }

        return refusal ?? new SubmitOutcome.Replayed(new CommandAccepted(entry.CommandId, entry.Type, CommandStatus.Accepted,
            CommandAccepted.StatusUrlFor(entry.CommandId), CommandAccepted.ViaDirect));
    }

    /// <summary>
    /// The tenant's record of <paramref name="idempotency"/>'s key in Redis, kept while PostgreSQL was down until a worker
    /// records it, with the refusal it means for this request (in flight, or reused for another request), or null when it
    /// stands for this same request; null when there is none (or Redis cannot say: the fallback could not have taken a
    /// keyed command without it).
    /// </summary>
    private async Task<(FallbackKeyEntry Entry, SubmitOutcome? Refusal)?> HeldFallbackKeyAsync(
        NewCommand command, IdempotencyRequest idempotency, CancellationToken cancellationToken)
    {
        FallbackKeyEntry? entry;
        try
        {
            entry = await fallbackKeys.FindAsync(command.Tenant, idempotency.Key, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
        {
            return null;
        }

        if (entry is null || !string.Equals(entry.Tenant, command.Tenant, StringComparison.Ordinal))
        {
            return null;
        }

        SubmitOutcome? refusal = entry.Pending ? new SubmitOutcome.KeyInFlight()
            : !string.Equals(entry.RequestHash, Convert.ToBase64String(idempotency.RequestHash), StringComparison.Ordinal) ? new SubmitOutcome.KeyReused()
            : null;
        return (entry, refusal);
    }

    private async Task<SubmitOutcome?> ReconcileFallbackKeyAsync(
        NpgsqlTransaction transaction, NewCommand command, IdempotencyRequest idempotency, CancellationToken cancellationToken)
    {
        if (await HeldFallbackKeyAsync(command, idempotency, cancellationToken).ConfigureAwait(false) is not (var entry, var refusal))
        {
            return null;
        }

        if (refusal is not null)
        {
            return refusal;
        }

        // The same request again: record the directly published command (its message is already queued, so no
        // outbox row) and the key, then answer as the first time.
        var descriptor = command.Descriptor;
        var row = new CommandRow(entry.CommandId, command.Tenant, entry.ClientId, descriptor.TypeName, command.Payload, idempotency.Key,
            entry.Deadline, CommandRows.TruncateToMicroseconds(entry.AcceptedAt));
        var response = new CommandAccepted(entry.CommandId, descriptor.TypeName, CommandStatus.Accepted, CommandAccepted.StatusUrlFor(entry.CommandId),
            CommandAccepted.ViaDirect);
        await CommandLedger.InsertCommandIfAbsentAsync(transaction, row, CommandStatus.Dispatched, cancellationToken).ConfigureAwait(false);
        await CommandLedger.InsertIdempotencyKeyIfAbsentAsync(transaction, row with { Now = command.Now }, idempotency.Key, idempotency.RequestHash,
            JsonSerializer.Serialize(response, StoredJson), idempotency.ExpiresAt, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Log.FallbackKeyReconciled(logger, entry.CommandId, command.Tenant);
        return new SubmitOutcome.Replayed(response);
    }

    private async ValueTask<(bool Cancelled, CommandView? View)> CancelOnceAsync(string tenant, Guid id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var cancelled = await CommandLedger.CancelAsync(dataSource, id, tenant, now, cancellationToken).ConfigureAwait(false);
        return (cancelled, await GetOnceAsync(tenant, id, cancellationToken).ConfigureAwait(false));
    }

    /// <summary>One command of a tenant, or null when it does not exist or belongs to another tenant.</summary>
    private async ValueTask<CommandView?> GetOnceAsync(string tenant, Guid id, CancellationToken cancellationToken)
    {
        await using var select = dataSource.CreateCommand($"SELECT {ViewColumns} FROM commands WHERE id = @id AND tenant = @tenant");
        select.Parameters.AddWithValue("id", id);
        select.Parameters.AddWithValue("tenant", tenant);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? ReadView(reader) : null;
    }

    private async ValueTask<(string Tenant, CommandView View)?> FindOnceAsync(string? tenant, Guid id, CancellationToken cancellationToken)
    {
        // The tenant comes after the view's columns, which ReadView reads by position.
        await using var select = dataSource.CreateCommand(
            $"SELECT {ViewColumns}, tenant FROM commands WHERE id = @id{(tenant is null ? "" : " AND tenant = @tenant")}");
        select.Parameters.AddWithValue("id", id);
        if (tenant is not null)
        {
            select.Parameters.AddWithValue("tenant", tenant);
        }

        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        return await reader.ReadAsync(cancellationToken).ConfigureAwait(false) ? (reader.GetString(reader.FieldCount - 1), ReadView(reader)) : null;
    }

    private async ValueTask<CommandPage> ListOnceAsync(string tenant, CommandQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder($"SELECT {ViewColumns} FROM commands WHERE tenant = @tenant");
        await using var select = dataSource.CreateCommand();
        select.Parameters.AddWithValue("tenant", tenant);
        if (query.Status is { } status)
        {
            sql.Append(" AND status = @status");
            select.Parameters.AddWithValue("status", status.ToString());
        }

        if (query.Type is { } type)
        {
            sql.Append(" AND type = @type");
            select.Parameters.AddWithValue("type", type);
        }
        else
        {
            // A tenant's callback deliveries are the gateway's own work, one per ending of a command with a callback:
            // listed only when asked for by type, so they do not crowd out the commands the client submitted.
            sql.Append(" AND type <> @delivery_type");
            select.Parameters.AddWithValue("delivery_type", CallbackEventTypes.DeliveryTypeName);
        }

        if (query.After is { } after)
        {
            sql.Append(" AND (created_at, id) < (@after_created_at, @after_id)");
            select.Parameters.AddWithValue("after_created_at", after.CreatedAt);
            select.Parameters.AddWithValue("after_id", after.Id);
        }

        sql.Append(" ORDER BY created_at DESC, id DESC LIMIT @limit");
        select.Parameters.AddWithValue("limit", query.Limit + 1);
        select.CommandText = sql.ToString();

        var items = new List<CommandView>(query.Limit + 1);
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(ReadView(reader));
            }
        }

        if (items.Count <= query.Limit)
        {
            return new CommandPage(items, null);
        }

        items.RemoveAt(items.Count - 1);
        var last = items[^1];
        return new CommandPage(items, new CommandCursor(last.CreatedAt, last.Id).Encode());
    }

    /// <summary>The advisory lock key for an idempotency key (see <see cref="CommandRows.IdempotencyLockKey"/>).</summary>
    internal static long IdempotencyLockKey(string tenant, string key) => CommandRows.IdempotencyLockKey(tenant, key);

    internal static CommandRow ToRow(NewCommand command) => new(
        command.Id, command.Tenant, command.ClientId, command.Descriptor.TypeName, command.Payload, command.Idempotency?.Key, command.Deadline, command.Now,
        command.NotBefore, command.CallbackUrl);

    private static CommandView ReadView(NpgsqlDataReader reader)
    {
        JsonElement? result = null;
        if (!reader.IsDBNull(7))
        {
            using var document = JsonDocument.Parse(reader.GetString(7));
            result = document.RootElement.Clone();
        }

        CommandErrorView? error = reader.IsDBNull(8) && reader.IsDBNull(9)
            ? null
            : new CommandErrorView(reader.IsDBNull(8) ? "" : reader.GetString(8), reader.IsDBNull(9) ? "" : reader.GetString(9));

        return new CommandView(
            reader.GetGuid(0),
            reader.GetString(1),
            Enum.Parse<CommandStatus>(reader.GetString(2)),
            reader.GetInt32(3),
            reader.GetFieldValue<DateTimeOffset>(4),
            reader.GetFieldValue<DateTimeOffset>(5),
            reader.IsDBNull(6) ? null : reader.GetFieldValue<DateTimeOffset>(6),
            result,
            error,
            NotBefore: reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10),
            Callback: reader.GetBoolean(11)
                ? new CallbackView(reader.IsDBNull(12) ? PendingCallback : reader.GetString(12), reader.GetInt32(13), reader.IsDBNull(14) ? null : reader.GetString(14))
                : null);
    }

    /// <summary>The state of a callback with no delivery yet.</summary>
    internal const string PendingCallback = "Pending";

    private static partial class Log
    {
        [LoggerMessage(EventId = 2100, EventName = "CommandAccepted", Level = LogLevel.Information,
            Message = "Accepted command {CommandId} of type {CommandType} for tenant {Tenant} (idempotency key: {HasIdempotencyKey})")]
        public static partial void CommandAccepted(ILogger logger, Guid commandId, string commandType, string tenant, bool hasIdempotencyKey);

        [LoggerMessage(EventId = 2105, EventName = "FallbackIdempotencyKeyReconciled", Level = LogLevel.Information,
            Message = "An idempotency key of tenant {Tenant} used while PostgreSQL was down is now recorded for command {CommandId}")]
        public static partial void FallbackKeyReconciled(ILogger logger, Guid commandId, string tenant);
    }
}

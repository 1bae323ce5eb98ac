using System.Text.Json;
using Messaging.Contracts;
using Messaging.Contracts.Commands;
using Messaging.Store.Audit;
using Messaging.Store.Outbox;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Store.DeadLetters;

/// <summary>
/// The dead-letter store in PostgreSQL: records dead letters (setting their command to
/// <c>DeadLettered</c> in the same transaction), lists and counts them, and redrives them through the
/// outbox: once each (a redriven row is marked in the transaction that enqueues it), throttled (bulk
/// redrives are spaced out with <c>not_before</c>), and audited.
/// </summary>
public sealed class DeadLetterStore(NpgsqlDataSource dataSource, OutboxWriter outbox, CommandTypeRegistry commandTypes, TimeProvider timeProvider)
{
    private static readonly HashSet<string> RedrivenHeaders = new(StringComparer.Ordinal)
    {
        MessageHeaders.Tenant, MessageHeaders.Client, MessageHeaders.CommandType, MessageHeaders.Deadline,
        MessageHeaders.TraceParent, MessageHeaders.TraceState,
    };

    /// <summary>Stores <paramref name="letter"/> within the caller's transaction and marks its command dead-lettered.</summary>
    public async Task<long> RecordAsync(NpgsqlTransaction transaction, DeadLetter letter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(letter);
        var now = timeProvider.GetUtcNow();
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO dead_letters (command_id, tenant, type, body, headers, attempts, first_failure_at, last_failure_at,
                                      exception_type, reason, source, created_at)
            VALUES (@command_id, @tenant, @type, @body, @headers, @attempts, @first, @last, @exception_type, @reason, @source, @now)
            RETURNING id
            """, transaction.Connection, transaction);
        insert.Parameters.AddWithValue("command_id", (object?)letter.CommandId ?? DBNull.Value);
        insert.Parameters.AddWithValue("tenant", (object?)letter.Tenant ?? DBNull.Value);
        insert.Parameters.AddWithValue("type", (object?)letter.Type ?? DBNull.Value);
        insert.Parameters.AddWithValue("body", letter.Body);
        insert.Parameters.AddWithValue("headers", NpgsqlDbType.Jsonb, JsonSerializer.Serialize(letter.Headers));
        insert.Parameters.AddWithValue("attempts", letter.Attempts);
        insert.Parameters.AddWithValue("first", letter.FirstFailureAt);
        insert.Parameters.AddWithValue("last", letter.LastFailureAt);
        insert.Parameters.AddWithValue("exception_type", (object?)letter.ExceptionType ?? DBNull.Value);
        insert.Parameters.AddWithValue("reason", letter.Reason);
        insert.Parameters.AddWithValue("source", letter.Source);
        insert.Parameters.AddWithValue("now", now);
        var id = (long)(await insert.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;

        if (letter.CommandId is { } commandId)
        {
            // A command that already succeeded (a late duplicate failed) keeps its outcome.
            await CommandLedger.DeadLetterAsync(transaction, commandId, letter.Reason, now, cancellationToken).ConfigureAwait(false);
        }

        return id;
    }

    /// <summary>Dead letters matching <paramref name="filter"/>, newest first.</summary>
    public async Task<IReadOnlyList<DeadLetterView>> ListAsync(DeadLetterFilter filter, bool includeRedriven, int limit, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT id, command_id, tenant, type, attempts, first_failure_at, last_failure_at, exception_type, reason, source,
                   created_at, redriven_at, redriven_by
            FROM dead_letters
            WHERE {Where(filter)} {(includeRedriven ? "" : "AND redriven_at IS NULL")}
            ORDER BY id DESC
            LIMIT @limit
            """);
        AddFilter(command, filter);
        command.Parameters.AddWithValue("limit", limit);
        var views = new List<DeadLetterView>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            views.Add(ReadView(reader));
        }

        return views;
    }

    /// <summary>
    /// One dead letter by its id, redriven or not, with its body and headers; null when there is none, or when
    /// <paramref name="tenant"/> is given and it is not that tenant's.
    /// </summary>
    public async Task<DeadLetterDetail?> GetAsync(long id, string? tenant, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"""
            SELECT id, command_id, tenant, type, attempts, first_failure_at, last_failure_at, exception_type, reason, source,
                   created_at, redriven_at, redriven_by, body, headers::text
            FROM dead_letters
            WHERE id = @id{(tenant is null ? "" : " AND tenant = @tenant")}
            """);
        command.Parameters.AddWithValue("id", id);
        if (tenant is not null)
        {
            command.Parameters.AddWithValue("tenant", tenant);
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var headers = reader.IsDBNull(14) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(14));
        return new DeadLetterDetail(ReadView(reader), reader.GetString(13), headers ?? new Dictionary<string, string>(StringComparer.Ordinal));
    }

    /// <summary>Waiting dead letters in total and by type: every tenant's (and those without one), or <paramref name="tenant"/>'s only.</summary>
    public async Task<DeadLetterSummary> SummaryAsync(string? tenant, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT coalesce(type, '(unreadable)'), count(*) FROM dead_letters WHERE redriven_at IS NULL{(tenant is null ? "" : " AND tenant = @tenant")} GROUP BY 1");
        if (tenant is not null)
        {
            command.Parameters.AddWithValue("tenant", tenant);
        }

        var byType = new Dictionary<string, long>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            byType[reader.GetString(0)] = reader.GetInt64(1);
        }

        return new DeadLetterSummary(byType.Values.Sum(), byType);
    }

    /// <summary>
    /// Puts up to <paramref name="limit"/> waiting dead letters matching <paramref name="filter"/> back on
    /// the path: an outbox row each (attempts start again at 1; rows are spaced by <paramref name="spacing"/>
    /// so a bulk redrive does not flood the provider), their command back to <c>Accepted</c> with a fresh
    /// <paramref name="deadline"/> (on the row and in the message's header alike), the dead letter marked redriven,
    /// and one audit record (<see cref="AuditTrail"/>), all in one transaction.
    /// </summary>
    public async Task<RedriveResult> RedriveAsync(DeadLetterFilter filter, AuditActor actor, int limit, TimeSpan spacing, RedriveDeadline deadline,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentNullException.ThrowIfNull(actor);
        ArgumentNullException.ThrowIfNull(deadline);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var claimed = new List<(long Id, Guid? CommandId, string? Tenant, string? Type, string Body, string Headers)>();
        await using (var claim = new NpgsqlCommand(
            $"""
            SELECT id, command_id, tenant, type, body, headers::text FROM dead_letters
            WHERE {Where(filter)} AND redriven_at IS NULL
            ORDER BY id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """, connection, transaction))
        {
            AddFilter(claim, filter);
            claim.Parameters.AddWithValue("limit", limit);
            await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                claimed.Add((reader.GetInt64(0), reader.IsDBNull(1) ? null : reader.GetGuid(1), reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3), reader.GetString(4), reader.GetString(5)));
            }
        }

        var now = timeProvider.GetUtcNow();
        var redriven = 0;
        var skipped = 0;
        var byTenant = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (var letter in claimed)
        {
            if (letter.CommandId is not { } commandId || letter.Type is null || !commandTypes.TryGet(letter.Type, out var descriptor)
                || !IsJsonObject(letter.Body))
            {
                skipped++;
                continue;
            }

            // Only the command's own headers go back on the path: transport, fault and broker headers
            // (x-death, MT-Fault-*) stay with the dead letter. The old deadline is replaced: it has often passed.
            var due = now + (spacing * redriven);
            var fresh = deadline.For(descriptor.TypeName, due);
            var headers = (JsonSerializer.Deserialize<Dictionary<string, string>>(letter.Headers) ?? [])
                .Where(h => RedrivenHeaders.Contains(h.Key))
                .ToDictionary(h => h.Key, h => h.Value, StringComparer.Ordinal);
            headers[MessageHeaders.Attempt] = "1";
            headers[MessageHeaders.CommandType] = descriptor.TypeName;
            headers[MessageHeaders.Deadline] = CommandRows.HeaderInstant(fresh);
            if (letter.Tenant is { } tenant)
            {
                headers[MessageHeaders.Tenant] = tenant;
            }
            await outbox.EnqueueAsync(transaction, new OutboxMessage(commandId, descriptor.QueueName, descriptor.MessageType.FullName!,
                letter.Body, headers, due), cancellationToken).ConfigureAwait(false);
            // The letter marked redriven and its command back to Accepted, in one round trip.
            await using var update = new NpgsqlBatch(connection, transaction);
            var mark = new NpgsqlBatchCommand("UPDATE dead_letters SET redriven_at = @now, redriven_by = @actor WHERE id = @id");
            mark.Parameters.AddWithValue("now", now);
            mark.Parameters.AddWithValue("actor", actor.ClientId);
            mark.Parameters.AddWithValue("id", letter.Id);
            update.BatchCommands.Add(mark);
            CommandLedger.AddRedrive(update, commandId, fresh, now);
            await update.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            redriven++;
            if (letter.Tenant is { } touched)
            {
                byTenant[touched] = byTenant.GetValueOrDefault(touched) + 1;
            }
        }

        // One command's redrive belongs to that command's tenant even when the filter did not name it.
        var tenantOfRecord = filter.Tenant ?? (filter.CommandId is not null && byTenant.Count == 1 ? byTenant.Keys.Single() : null);
        var record = new AuditRecord(actor, filter.CommandId is null ? AuditActions.DeadLettersRedrive : AuditActions.CommandRedrive,
            filter.CommandId?.ToString() ?? "dead-letters", tenantOfRecord, AuditActions.Succeeded,
            new { filter.Type, filter.From, filter.To, Limit = limit, Deadline = deadline.Instant, Redriven = redriven, Skipped = skipped });
        await AuditTrail.AppendAsync(transaction, record, now, cancellationToken).ConfigureAwait(false);
        if (filter.Tenant is null && filter.CommandId is null)
        {
            // A redrive across tenants is also recorded for each tenant it touched, so that tenant's admins see it too.
            foreach (var (tenant, count) in byTenant)
            {
                await AuditTrail.AppendAsync(transaction, record with { Tenant = tenant, Detail = new { filter.Type, filter.From, filter.To, Deadline = deadline.Instant, Redriven = count, AcrossTenants = true } },
                    now, cancellationToken).ConfigureAwait(false);
            }
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return new RedriveResult(redriven, skipped);
    }

    private static bool IsJsonObject(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static DeadLetterView ReadView(NpgsqlDataReader reader) => new(
        reader.GetInt64(0),
        reader.IsDBNull(1) ? null : reader.GetGuid(1),
        reader.IsDBNull(2) ? null : reader.GetString(2),
        reader.IsDBNull(3) ? null : reader.GetString(3),
        reader.GetInt32(4),
        reader.GetFieldValue<DateTimeOffset>(5),
        reader.GetFieldValue<DateTimeOffset>(6),
        reader.IsDBNull(7) ? null : reader.GetString(7),
        reader.GetString(8),
        reader.GetString(9),
        reader.GetFieldValue<DateTimeOffset>(10),
        reader.IsDBNull(11) ? null : reader.GetFieldValue<DateTimeOffset>(11),
        reader.IsDBNull(12) ? null : reader.GetString(12));

    private static string Where(DeadLetterFilter filter) => string.Join(" AND ", new[]
    {
        "true",
        filter.CommandId is null ? null : "command_id = @command_id",
        filter.Type is null ? null : "type = @type",
        filter.Tenant is null ? null : "tenant = @tenant",
        filter.From is null ? null : "created_at >= @from",
        filter.To is null ? null : "created_at < @to",
    }.Where(c => c is not null));

    private static void AddFilter(NpgsqlCommand command, DeadLetterFilter filter)
    {
        if (filter.CommandId is { } id)
        {
            command.Parameters.AddWithValue("command_id", id);
        }

        if (filter.Type is { } type)
        {
            command.Parameters.AddWithValue("type", type);
        }

        if (filter.Tenant is { } tenant)
        {
            command.Parameters.AddWithValue("tenant", tenant);
        }

        if (filter.From is { } from)
        {
            command.Parameters.AddWithValue("from", from);
        }

        if (filter.To is { } to)
        {
            command.Parameters.AddWithValue("to", to);
        }
    }
}

using Npgsql;

namespace Messaging.Store.Outbox;

/// <summary>
/// The relay's statements on <c>outbox</c>: the claim of due rows, and the marks of a pass's outcome (sent, or a
/// failed attempt with the row's next retry time). Delivery, not a command's rows: the command's own move to
/// <c>Dispatched</c> is <see cref="CommandLedger"/>'s, added to the mark of the sent rows. Every statement runs in the
/// caller's transaction, the one that holds the claim, and never commits: a row is marked in the transaction that
/// claimed it, after its publish answered (<see cref="OutboxRelay"/>).
/// </summary>
internal static class OutboxClaims
{
    /// <summary>
    /// Claims up to <paramref name="batchSize"/> rows due at <paramref name="now"/>, in due order, with
    /// <c>FOR UPDATE SKIP LOCKED</c>: rows another pass or relay holds are passed over, not waited for.
    /// </summary>
    public static async Task<List<OutboxRow>> ClaimAsync(NpgsqlTransaction transaction, int batchSize, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Due order (not_before, id) is the order of the partial index outbox_pending, which holds unsent rows only:
        // the claim reads just the rows it takes. Ordered by id alone it walked the primary key past every row
        // already sent (32 ms a pass with 50,000 sent rows, growing without bound; docs/benchmarks.md).
        // Sorting is switched off for the claim's transaction: without it, statistics that predate a backlog (the
        // outbox grew since the last analyse, as during a broker outage) make the planner read and sort every pending
        // row, body included (38 ms a pass with 20,000 pending, docs/benchmarks.md) instead of reading the index in order.
        await using var claim = new NpgsqlCommand(
            """
            SET LOCAL enable_sort = off;
            SELECT id, command_id, destination, message_type, body, headers, publish_attempts, kind,
                   GREATEST(created_at, not_before)
            FROM outbox
            WHERE sent_at IS NULL AND not_before <= @now
            ORDER BY not_before, id
            LIMIT @limit
            FOR UPDATE SKIP LOCKED
            """, transaction.Connection, transaction);
        claim.Parameters.AddWithValue("now", now);
        claim.Parameters.AddWithValue("limit", batchSize);
        var rows = new List<OutboxRow>();
        // Body and headers are read as the UTF-8 JSON text of the jsonb (Npgsql strips the binary format's version byte):
        // they go into the envelope as they are, with no round trip through a UTF-16 string.
        await using var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                reader.GetFieldValue<byte[]>(4), reader.GetFieldValue<byte[]>(5), reader.GetInt32(6), reader.GetString(7) == "event", reader.GetFieldValue<DateTimeOffset>(8)));
        }

        return rows;
    }

    /// <summary>
    /// Marks the rows <paramref name="ids"/> sent at <paramref name="now"/> and moves their commands
    /// (<paramref name="commandIds"/>) to <c>Dispatched</c>.
    /// </summary>
    public static async Task MarkSentAsync(NpgsqlTransaction transaction, long[] ids, Guid[] commandIds, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // The rows sent (this statement) and their commands Dispatched (the ledger's), in one round trip.
        await using var markSent = new NpgsqlBatch(transaction.Connection, transaction);
        var sentRows = new NpgsqlBatchCommand("UPDATE outbox SET sent_at = @now, publish_attempts = publish_attempts + 1, last_error = NULL WHERE id = ANY(@ids)");
        sentRows.Parameters.AddWithValue("now", now);
        sentRows.Parameters.AddWithValue("ids", ids);
        markSent.BatchCommands.Add(sentRows);
        CommandLedger.AddMarkDispatched(markSent, commandIds, now);
        await markSent.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Records a failed attempt of each row in <paramref name="ids"/>: its error (a safe description, never an
    /// exception's message) and the time it is due again. The rows stay pending.
    /// </summary>
    public static async Task MarkFailedAsync(NpgsqlTransaction transaction, long[] ids, string[] errors, DateTimeOffset[] retryAts, CancellationToken cancellationToken)
    {
        // One statement for all of them: when the broker is down, every row of the batch lands here.
        await using var markFailed = new NpgsqlCommand(
            """
            UPDATE outbox SET publish_attempts = publish_attempts + 1, last_error = f.error, not_before = f.retry_at
            FROM unnest(@ids, @errors, @retry_ats) AS f(id, error, retry_at)
            WHERE outbox.id = f.id
            """, transaction.Connection, transaction);
        markFailed.Parameters.AddWithValue("ids", ids);
        markFailed.Parameters.AddWithValue("errors", errors);
        markFailed.Parameters.AddWithValue("retry_ats", retryAts);
        await markFailed.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

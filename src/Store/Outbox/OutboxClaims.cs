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
    // The columns of a claimed row, as OutboxRow holds them.
    private const string ClaimedColumns =
        "id, command_id, destination, message_type, body, headers, publish_attempts, kind, GREATEST(created_at, not_before) AS due_at";

    /// <summary>
    /// The claim (<see cref="ClaimAsync"/>): parameters <c>@now</c>, <c>@oldest</c> and <c>@newest</c>; each row's last
    /// column says whether the newest end took it. Visible for tests, which check its plan.
    /// </summary>
    internal const string ClaimSql =
        $"""
        WITH oldest AS MATERIALIZED (
            SELECT {ClaimedColumns}
            FROM outbox
            WHERE sent_at IS NULL AND not_before <= @now
            ORDER BY not_before, id
            LIMIT @oldest
            FOR UPDATE SKIP LOCKED
        ), newest AS MATERIALIZED (
            SELECT {ClaimedColumns}
            FROM outbox
            WHERE sent_at IS NULL AND not_before <= @now
            ORDER BY not_before DESC, id DESC
            LIMIT @newest
            FOR UPDATE SKIP LOCKED
        )
        SELECT *, false FROM oldest
        UNION ALL
        SELECT *, true FROM newest WHERE id NOT IN (SELECT id FROM oldest)
        """;

    /// <summary>
    /// How pass <paramref name="pass"/> (0, 1, 2, … of this relay) splits a batch of <paramref name="batchSize"/> between
    /// the oldest due rows and the newest ones: <paramref name="newestShare"/> of it newest-due first, on average over
    /// the passes (rounded alternately, so a batch of 1 claims the oldest row and the newest row in turn, and an odd
    /// batch leans to each side every other pass).
    /// </summary>
    public static (int Oldest, int Newest) Split(int batchSize, double newestShare, long pass)
    {
        var newest = (int)(Math.Floor((pass + 1) * batchSize * newestShare) - Math.Floor(pass * batchSize * newestShare));
        return (batchSize - newest, newest);
    }

    /// <summary>
    /// Claims up to <paramref name="oldest"/> + <paramref name="newest"/> rows due at <paramref name="now"/> with
    /// <c>FOR UPDATE SKIP LOCKED</c> (rows another pass or relay holds are passed over, not waited for): the
    /// <paramref name="oldest"/> first in due order, and the <paramref name="newest"/> last, each row once. The rows come
    /// back in due order.
    /// </summary>
    /// <remarks>
    /// Both ends, so that neither starves: the oldest end moves the backlog on in every pass (a row's wait is bounded
    /// by the rows due before it), and the newest end takes a command written a moment ago even when thousands of rows
    /// came due just before it (a burst of scheduled commands or delayed retries), instead of leaving it behind the
    /// whole burst: it waits for one pass, not for the burst to drain. Rows between the two ends wait for the oldest end.
    /// When fewer rows than the batch are due, both ends meet and every due row is claimed.
    /// </remarks>
    public static async Task<List<OutboxRow>> ClaimAsync(NpgsqlTransaction transaction, int oldest, int newest, DateTimeOffset now, CancellationToken cancellationToken)
    {
        // Due order (not_before, id) is the order of the partial index outbox_pending, which holds unsent rows only:
        // each end reads just the rows it takes, the oldest with a forward scan of the index, the newest with a backward
        // scan (EXPLAIN: "Index Scan using outbox_pending" and "Index Scan Backward using outbox_pending", each under its
        // LIMIT). Ordered by id alone the claim walked the primary key past every row already sent (32 ms a pass with
        // 50,000 sent rows, growing without bound; docs/benchmarks.md).
        // Sorting is switched off for the claim's transaction: without it, statistics that predate a backlog (the
        // outbox grew since the last analyse, as during a broker outage) make the planner read and sort every pending
        // row, body included (38 ms a pass with 20,000 pending, docs/benchmarks.md) instead of reading the index in order.
        // Nothing here sorts: each end is materialised in its index order, and the newest end is reversed below.
        // A row both ends reach (fewer rows due than the batch) is locked twice by this transaction, which is harmless,
        // and returned once.
        await using var claim = new NpgsqlCommand("SET LOCAL enable_sort = off;\n" + ClaimSql, transaction.Connection, transaction);
        claim.Parameters.AddWithValue("now", now);
        claim.Parameters.AddWithValue("oldest", oldest);
        claim.Parameters.AddWithValue("newest", newest);
        var rows = new List<OutboxRow>(oldest + newest);
        var oldestEnd = 0;
        // Body and headers are read as the UTF-8 JSON text of the jsonb (Npgsql strips the binary format's version byte):
        // they go into the envelope as they are, with no round trip through a UTF-16 string.
        await using (var reader = await claim.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add(new OutboxRow(reader.GetInt64(0), reader.GetGuid(1), reader.GetString(2), reader.GetString(3),
                    reader.GetFieldValue<byte[]>(4), reader.GetFieldValue<byte[]>(5), reader.GetInt32(6), reader.GetString(7) == "event",
                    reader.GetFieldValue<DateTimeOffset>(8)));
                if (!reader.GetBoolean(9))
                {
                    oldestEnd = rows.Count;
                }
            }
        }

        // The oldest end came first, in due order; the newest end after it, newest first.
        rows.Reverse(oldestEnd, rows.Count - oldestEnd);
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

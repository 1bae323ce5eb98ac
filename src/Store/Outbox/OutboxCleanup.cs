using Messaging.Contracts.Commands;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Store.Outbox;

/// <summary>
/// Retention for the outbox and the inbox: every <see cref="OutboxCleanupOptions.Interval"/>, deletes outbox rows
/// sent longer than <see cref="OutboxCleanupOptions.Retention"/> ago and inbox rows processed that long ago, in
/// batches of <see cref="OutboxCleanupOptions.BatchSize"/> (one short transaction each, so no long locks). Every
/// gateway runs it; a transaction-scoped advisory lock per batch lets only one of them delete at a time (the
/// others skip the pass). Failures are logged and retried at the next interval; they never stop the host.
/// </summary>
internal sealed partial class OutboxCleanup(
    NpgsqlDataSource dataSource,
    CommandMetrics metrics,
    IOptionsMonitor<OutboxCleanupOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxCleanup> logger) : BackgroundService
{
    // Arbitrary but fixed, and distinct from the schema migrator's key ("MSG1"): "MSGC".
    internal const long AdvisoryLockKey = 0x4D53_4743;

    private static readonly string[] TerminalStatuses =
        [.. Enum.GetValues<CommandStatus>().Where(s => s.IsTerminal()).Select(s => s.ToString())];

    // Oldest first, through the partial index outbox_sent_at; unsent rows (sent_at IS NULL) never match.
    private const string DeleteOutbox =
        """
        DELETE FROM outbox WHERE id IN (
            SELECT id FROM outbox WHERE sent_at < @cutoff ORDER BY sent_at LIMIT @batch)
        """;

    // An inbox row is written together with a terminal status, so rows this old belong to long-finished
    // commands; the NOT EXISTS keeps the row anyway if its command is (again) in flight.
    private const string DeleteInbox =
        """
        DELETE FROM inbox WHERE command_id IN (
            SELECT i.command_id FROM inbox i
            WHERE i.processed_at < @cutoff
              AND NOT EXISTS (SELECT 1 FROM commands c WHERE c.id = i.command_id AND NOT (c.status = ANY (@terminal)))
            ORDER BY i.processed_at LIMIT @batch)
        """;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!options.CurrentValue.Enabled)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            var current = options.CurrentValue;
            try
            {
                await CleanAsync(current, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Retention can wait: log the kind of failure (never its message, which can name hosts) and
                // try again at the next interval.
                Log.CleanupFailed(logger, ex.GetType().Name, current.Interval.TotalSeconds);
            }

            try
            {
                await Task.Delay(current.Interval, timeProvider, stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }
    }

    /// <summary>One pass over both tables. Visible for tests.</summary>
    internal async Task<CleanupPassResult> CleanAsync(OutboxCleanupOptions current, CancellationToken cancellationToken)
    {
        var cutoff = timeProvider.GetUtcNow() - current.Retention;
        var outbox = await DeleteInBatchesAsync(Table.Outbox, cutoff, current.BatchSize, cancellationToken).ConfigureAwait(false);
        if (outbox is null)
        {
            return new CleanupPassResult(0, 0, LockHeldElsewhere: true);
        }

        var inbox = await DeleteInBatchesAsync(Table.Inbox, cutoff, current.BatchSize, cancellationToken).ConfigureAwait(false);
        if (outbox > 0 || inbox > 0)
        {
            Log.Cleaned(logger, outbox.Value, inbox ?? 0);
        }

        return new CleanupPassResult(outbox.Value, inbox ?? 0, LockHeldElsewhere: inbox is null);
    }

    /// <returns>The rows deleted, or null when another process held the cleanup lock.</returns>
    private async Task<long?> DeleteInBatchesAsync(Table table, DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var deleted = await DeleteBatchAsync(table, cutoff, batchSize, cancellationToken).ConfigureAwait(false);
            if (deleted is null)
            {
                return total > 0 ? total : null;
            }

            if (deleted > 0)
            {
                metrics.Cleaned(table == Table.Outbox ? "outbox" : "inbox", deleted.Value);
                total += deleted.Value;
            }

            if (deleted < batchSize)
            {
                return total;
            }
        }
    }

    /// <returns>The rows deleted, or null when another process held the cleanup lock.</returns>
    private async Task<int?> DeleteBatchAsync(Table table, DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (var tryLock = new NpgsqlCommand("SELECT pg_try_advisory_xact_lock(@key)", connection, transaction))
        {
            tryLock.Parameters.AddWithValue("key", AdvisoryLockKey);
            if (await tryLock.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is not true)
            {
                await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
                return null;
            }
        }

        await using var delete = new NpgsqlCommand(table == Table.Outbox ? DeleteOutbox : DeleteInbox, connection, transaction);
        delete.Parameters.AddWithValue("cutoff", cutoff);
        delete.Parameters.AddWithValue("batch", batchSize);
        if (table == Table.Inbox)
        {
            delete.Parameters.AddWithValue("terminal", TerminalStatuses);
        }

        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    private enum Table
    {
        Outbox,
        Inbox,
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1120, EventName = "OutboxCleanupFailed", Level = LogLevel.Warning,
            Message = "Outbox cleanup pass failed ({ErrorType}); next pass in {IntervalSeconds} s")]
        public static partial void CleanupFailed(ILogger logger, string errorType, double intervalSeconds);

        [LoggerMessage(EventId = 1121, EventName = "OutboxCleaned", Level = LogLevel.Debug,
            Message = "Outbox cleanup deleted {OutboxRows} outbox row(s) and {InboxRows} inbox row(s)")]
        public static partial void Cleaned(ILogger logger, long outboxRows, long inboxRows);
    }
}

/// <summary>What one cleanup pass did.</summary>
/// <param name="OutboxDeleted">Sent outbox rows deleted.</param>
/// <param name="InboxDeleted">Inbox rows deleted.</param>
/// <param name="LockHeldElsewhere">Whether another process held the cleanup lock, so this pass stopped early.</param>
internal readonly record struct CleanupPassResult(long OutboxDeleted, long InboxDeleted, bool LockHeldElsewhere);

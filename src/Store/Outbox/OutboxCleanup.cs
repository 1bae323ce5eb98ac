using Messaging.Contracts.Commands;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Store.Outbox;

/// <summary>
/// Retention of the command path's tables: every <see cref="OutboxCleanupOptions.Interval"/>, deletes outbox rows sent
/// longer than <see cref="OutboxCleanupOptions.Retention"/> ago and inbox rows processed that long ago, terminal
/// commands older than <see cref="RetentionOptions.Commands"/>, dead letters redriven longer than
/// <see cref="RetentionOptions.DeadLetters"/> ago, audit records older than <see cref="RetentionOptions.Audit"/> and
/// expired idempotency keys, in batches of <see cref="OutboxCleanupOptions.BatchSize"/> (one short transaction each,
/// so no long locks). Every gateway runs it; a transaction-scoped advisory lock per batch lets only one of them delete
/// at a time (the others skip the pass). Failures are logged and retried at the next interval; they never stop the host.
/// </summary>
internal sealed partial class OutboxCleanup(
    NpgsqlDataSource dataSource,
    CommandMetrics metrics,
    IOptionsMonitor<OutboxCleanupOptions> options,
    IOptionsMonitor<RetentionOptions> retention,
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

    // Through the partial index commands_terminal_updated_at, which lists the same statuses. The command of a waiting
    // dead letter stays: a redrive needs it. The outer conditions are checked again on a row changed since the
    // statement's snapshot, so a command a concurrent redrive took back to Accepted stays too.
    private const string DeleteCommands =
        """
        DELETE FROM commands WHERE status = ANY (@terminal) AND updated_at < @cutoff AND id IN (
            SELECT c.id FROM commands c
            WHERE c.status = ANY (@terminal) AND c.updated_at < @cutoff
              AND NOT EXISTS (SELECT 1 FROM dead_letters d WHERE d.command_id = c.id AND d.redriven_at IS NULL)
            ORDER BY c.updated_at LIMIT @batch)
        """;

    // Through the partial index dead_letters_redriven_at; waiting dead letters (redriven_at IS NULL) never match.
    private const string DeleteDeadLetters =
        """
        DELETE FROM dead_letters WHERE id IN (
            SELECT id FROM dead_letters WHERE redriven_at < @cutoff ORDER BY redriven_at LIMIT @batch)
        """;

    private const string DeleteAudit =
        """
        DELETE FROM audit WHERE id IN (
            SELECT id FROM audit WHERE at < @cutoff ORDER BY at LIMIT @batch)
        """;

    // The cutoff is now. A key claimed again meanwhile (CommandLedger replaces an expired key) has a new expires_at,
    // which the outer condition checks again, so it stays.
    private const string DeleteExpiredKeys =
        """
        DELETE FROM idempotency_keys WHERE expires_at < @cutoff AND (tenant, key) IN (
            SELECT tenant, key FROM idempotency_keys WHERE expires_at < @cutoff ORDER BY expires_at LIMIT @batch)
        """;

    // The tables in the order of a pass, each with its statement and the age from which its rows go. The names are
    // the metric's messaging.table values.
    private static readonly RetentionRule[] Rules =
    [
        new("outbox", DeleteOutbox, UsesTerminalStatuses: false, (cleanup, _) => cleanup.Retention),
        new("inbox", DeleteInbox, UsesTerminalStatuses: true, (cleanup, _) => cleanup.Retention),
        new("commands", DeleteCommands, UsesTerminalStatuses: true, (_, kept) => kept.Commands),
        new("dead_letters", DeleteDeadLetters, UsesTerminalStatuses: false, (_, kept) => kept.DeadLetters),
        new("audit", DeleteAudit, UsesTerminalStatuses: false, (_, kept) => kept.Audit),
        new("idempotency_keys", DeleteExpiredKeys, UsesTerminalStatuses: false, (_, _) => TimeSpan.Zero),
    ];

    /// <summary>The tables a pass deletes from, in order (the metric's <c>messaging.table</c> values).</summary>
    internal static IEnumerable<string> Tables => Rules.Select(r => r.Table);

    /// <summary>One batch's statement for <paramref name="table"/>, without a connection. Visible for tests (its plan).</summary>
    internal static NpgsqlCommand DeleteStatement(string table, DateTimeOffset cutoff, int batchSize) =>
        Rules.Single(r => r.Table == table).Statement(cutoff, batchSize);

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
                await CleanAsync(current, retention.CurrentValue, stoppingToken).ConfigureAwait(false);
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

    /// <summary>One pass over every table. Visible for tests.</summary>
    internal async Task<CleanupPassResult> CleanAsync(
        OutboxCleanupOptions current, RetentionOptions kept, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        var deleted = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var rule in Rules)
        {
            var rows = await DeleteInBatchesAsync(rule, now - rule.Age(current, kept), current.BatchSize, cancellationToken)
                .ConfigureAwait(false);
            if (rows is null)
            {
                return new CleanupPassResult(deleted, LockHeldElsewhere: true);
            }

            deleted[rule.Table] = rows.Value;
            if (rows > 0)
            {
                Log.Cleaned(logger, rows.Value, rule.Table);
            }
        }

        return new CleanupPassResult(deleted, LockHeldElsewhere: false);
    }

    /// <returns>The rows deleted, or null when another process held the cleanup lock.</returns>
    private async Task<long?> DeleteInBatchesAsync(RetentionRule rule, DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
    {
        long total = 0;
        while (true)
        {
            var deleted = await DeleteBatchAsync(rule, cutoff, batchSize, cancellationToken).ConfigureAwait(false);
            if (deleted is null)
            {
                return total > 0 ? total : null;
            }

            if (deleted > 0)
            {
                metrics.Cleaned(rule.Table, deleted.Value);
                total += deleted.Value;
            }

            if (deleted < batchSize)
            {
                return total;
            }
        }
    }

    /// <returns>The rows deleted, or null when another process held the cleanup lock.</returns>
    private async Task<int?> DeleteBatchAsync(RetentionRule rule, DateTimeOffset cutoff, int batchSize, CancellationToken cancellationToken)
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

        await using var delete = rule.Statement(cutoff, batchSize);
        delete.Connection = connection;
        delete.Transaction = transaction;
        var deleted = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return deleted;
    }

    /// <summary>One table's retention: its batch statement and the age from which its rows are deleted.</summary>
    private sealed record RetentionRule(
        string Table, string Sql, bool UsesTerminalStatuses, Func<OutboxCleanupOptions, RetentionOptions, TimeSpan> Age)
    {
        public NpgsqlCommand Statement(DateTimeOffset cutoff, int batchSize)
        {
            var command = new NpgsqlCommand(Sql);
            command.Parameters.AddWithValue("cutoff", cutoff);
            command.Parameters.AddWithValue("batch", batchSize);
            if (UsesTerminalStatuses)
            {
                command.Parameters.AddWithValue("terminal", TerminalStatuses);
            }

            return command;
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 1120, EventName = "OutboxCleanupFailed", Level = LogLevel.Warning,
            Message = "Retention pass failed ({ErrorType}); next pass in {IntervalSeconds} s")]
        public static partial void CleanupFailed(ILogger logger, string errorType, double intervalSeconds);

        [LoggerMessage(EventId = 1121, EventName = "OutboxCleaned", Level = LogLevel.Debug,
            Message = "Retention deleted {Rows} row(s) from {Table}")]
        public static partial void Cleaned(ILogger logger, long rows, string table);
    }
}

/// <summary>What one cleanup pass did.</summary>
/// <param name="Deleted">The rows deleted per table, for the tables the pass reached.</param>
/// <param name="LockHeldElsewhere">Whether another process held the cleanup lock, so this pass stopped early.</param>
internal readonly record struct CleanupPassResult(IReadOnlyDictionary<string, long> Deleted, bool LockHeldElsewhere)
{
    /// <summary>The rows deleted from <paramref name="table"/> (0 for a table the pass did not reach).</summary>
    public long DeletedFrom(string table) => Deleted.GetValueOrDefault(table);
}

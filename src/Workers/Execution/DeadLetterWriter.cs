using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Store.DeadLetters;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Workers.Execution;

/// <summary>What recording a dead letter did.</summary>
/// <param name="Id">The dead letter's id.</param>
/// <param name="CommandDeadLettered">Whether the command moved to <c>DeadLettered</c> (it was not already finished).</param>
/// <param name="Fallback">What the type's fallback did, or null when none ran.</param>
internal sealed record DeadLetterOutcome(long Id, bool CommandDeadLettered, string? Fallback);

/// <summary>
/// Records dead letters, from the consumers (poison, retries exhausted, answers no retry can change) and
/// from the drain of the fault queues, in one transaction each (through the <c>postgres</c> pipeline):
/// the dead letter stored whole, its command <c>DeadLettered</c> with the safe reason, and the type's
/// fallback (<see cref="CommandFallbacks"/>). The fallback runs only when this moved the command to
/// <c>DeadLettered</c>: not for a command that already finished (a late duplicate failed) or that an
/// earlier dead letter already covered. A dead letter never touches a command of another tenant.
/// </summary>
internal sealed partial class DeadLetterWriter(
    PostgresTransactions transactions,
    DeadLetterStore store,
    CommandFallbacks fallbacks,
    IOptionsMonitor<CommandTypeOptions> options,
    CommandFlowMetrics flowMetrics,
    CommandMetrics commandMetrics,
    TimeProvider timeProvider,
    ILogger<DeadLetterWriter> logger)
{
    /// <summary>Stores <paramref name="letter"/>; <paramref name="command"/> is the message, when it could be read, for the fallback.</summary>
    public async Task<DeadLetterOutcome> RecordAsync(DeadLetter letter, ICommandMessage? command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(letter);
        var outcome = await transactions.RunAsync(async (transaction, token) =>
        {
            var stored = letter.CommandId is { } id ? await ReadAsync(transaction, id, token).ConfigureAwait(false) : null;
            var effective = letter;
            if (stored is not null && !string.Equals(stored.Tenant, letter.Tenant, StringComparison.Ordinal))
            {
                // The message claims a command of another tenant: keep the letter, leave the command alone.
                effective = letter with { CommandId = null };
                stored = null;
            }
            else if (stored?.FirstFailureAt is { } first && first < letter.FirstFailureAt)
            {
                effective = letter with { FirstFailureAt = first };
            }

            var deadLettered = stored is not null && stored.Status?.IsTerminal() != true;
            var deadLetterId = await store.RecordAsync(transaction, effective, token).ConfigureAwait(false);
            string? fallback = null;
            if (deadLettered && command is not null && command.CommandId == stored!.Id
                && string.Equals(command.Tenant, stored.Tenant, StringComparison.Ordinal)
                && effective.Type is { } type && options.Get(type).Fallback.Enabled)
            {
                fallback = await fallbacks.RunAsync(transaction, command, stored, effective.Reason, timeProvider.GetUtcNow(), token).ConfigureAwait(false);
            }

            return new DeadLetterOutcome(deadLetterId, deadLettered, fallback);
        }, cancellationToken).ConfigureAwait(false);

        flowMetrics.DeadLettered(letter.Type, letter.Source);
        if (outcome.CommandDeadLettered && letter.CommandId is { } deadLetteredId && letter.Type is { } deadLetteredType)
        {
            commandMetrics.Completed(deadLetteredType, CommandOutcome.DeadLettered, deadLetteredId);
        }

        Log.DeadLettered(logger, letter.CommandId, letter.Type ?? "(unknown)", letter.Source, letter.Attempts, letter.ExceptionType ?? "none", letter.Reason);
        if (outcome.Fallback is { } did)
        {
            commandMetrics.FallbackTaken(letter.Type ?? "(unknown)", completed: true);
            CommandFlowMetrics.FallbackRan(letter.Type ?? "(unknown)");
            Log.FallbackRan(logger, letter.CommandId, letter.Type ?? "(unknown)", did);
        }

        return outcome;
    }

    private static async Task<StoredCommand?> ReadAsync(NpgsqlTransaction transaction, Guid id, CancellationToken cancellationToken)
    {
        await using var select = new NpgsqlCommand(
            "SELECT tenant, client_id, status, deadline, first_failure_at FROM commands WHERE id = @id FOR UPDATE",
            transaction.Connection, transaction);
        select.Parameters.AddWithValue("id", id);
        await using var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        return new StoredCommand(
            id,
            reader.GetString(0),
            reader.GetString(1),
            Enum.TryParse<CommandStatus>(reader.GetString(2), ignoreCase: false, out var status) ? status : null,
            reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
            reader.IsDBNull(4) ? null : reader.GetFieldValue<DateTimeOffset>(4));
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 4030, EventName = "CommandDeadLettered", Level = LogLevel.Warning,
            Message = "Message of command {CommandId} ({CommandType}) dead-lettered ({Source}) after {Attempts} attempt(s), last failure {ExceptionType}: {Reason}")]
        public static partial void DeadLettered(ILogger logger, Guid? commandId, string commandType, string source, int attempts, string exceptionType,
            string reason);

        [LoggerMessage(EventId = 4031, EventName = "DeadLetterFallbackRan", Level = LogLevel.Information,
            Message = "Fallback of dead-lettered command {CommandId} ({CommandType}): {Fallback}")]
        public static partial void FallbackRan(ILogger logger, Guid? commandId, string commandType, string fallback);
    }
}

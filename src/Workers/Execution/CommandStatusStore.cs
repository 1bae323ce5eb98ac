using Messaging.Contracts.Commands;
using Messaging.Workers.ExternalServices;
using Npgsql;
using NpgsqlTypes;

namespace Messaging.Workers.Execution;

/// <summary>
/// The status transitions a worker makes on the <c>commands</c> row, and the inbox. Every update is
/// guarded so that a late or duplicate delivery never moves a terminal command back.
/// </summary>
internal sealed class CommandStatusStore(NpgsqlDataSource dataSource)
{
    private static readonly string[] TerminalStatuses =
        [.. Enum.GetValues<CommandStatus>().Where(s => s.IsTerminal()).Select(s => s.ToString())];

    /// <summary>Reads what execution needs to decide, or null when there is no such command.</summary>
    public async Task<CommandSnapshot?> FindAsync(Guid commandId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            SELECT c.tenant, c.type, c.status, c.deadline,
                   EXISTS (SELECT 1 FROM inbox i WHERE i.command_id = c.id)
            FROM commands c
            WHERE c.id = @id
            """);
        command.Parameters.AddWithValue("id", commandId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var statusText = reader.GetString(2);
        return new CommandSnapshot(
            Tenant: reader.GetString(0),
            Type: reader.GetString(1),
            Status: Enum.TryParse<CommandStatus>(statusText, ignoreCase: false, out var status) ? status : null,
            Deadline: reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3),
            InInbox: reader.GetBoolean(4));
    }

    /// <summary>
    /// Sets <c>Processing</c> and counts the attempt. Returns the attempt count, or null when the
    /// command is terminal (or gone) and must not be executed.
    /// </summary>
    public async Task<int?> StartAttemptAsync(Guid commandId, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            UPDATE commands
            SET status = 'Processing', attempts = attempts + 1, updated_at = @now
            WHERE id = @id AND NOT (status = ANY (@terminal))
            RETURNING attempts
            """);
        command.Parameters.AddWithValue("id", commandId);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("terminal", TerminalStatuses);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int attempts ? attempts : null;
    }

    /// <summary>
    /// Stores the provider's business answer and records the command in the inbox, atomically (one
    /// statement): <c>Succeeded</c> with the result, or <c>Failed</c> with the refusal. Returns false
    /// when the command was already terminal (nothing changed).
    /// </summary>
    public async Task<bool> CompleteAsync(Guid commandId, string consumer, ProviderOutcome outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        // Data-modifying CTEs run exactly once and in the same snapshot: the inbox row exists if and
        // only if this update applied.
        await using var command = dataSource.CreateCommand(
            """
            WITH updated AS (
                UPDATE commands
                SET status = @status, result = @result, error_code = @error_code, error_message = @error_message, updated_at = @now
                WHERE id = @id AND NOT (status = ANY (@terminal))
                RETURNING id
            ), inboxed AS (
                INSERT INTO inbox (command_id, consumer, processed_at)
                SELECT id, @consumer, @now FROM updated
                ON CONFLICT (command_id) DO NOTHING
            )
            SELECT count(*) FROM updated
            """);
        command.Parameters.AddWithValue("id", commandId);
        command.Parameters.AddWithValue("status", (outcome.Succeeded ? CommandStatus.Succeeded : CommandStatus.Failed).ToString());
        command.Parameters.Add(new NpgsqlParameter("result", NpgsqlDbType.Jsonb) { Value = (object?)outcome.ResultJson ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("error_code", NpgsqlDbType.Text) { Value = (object?)outcome.Refusal?.Code ?? DBNull.Value });
        command.Parameters.Add(new NpgsqlParameter("error_message", NpgsqlDbType.Text) { Value = (object?)outcome.Refusal?.Message ?? DBNull.Value });
        command.Parameters.AddWithValue("consumer", consumer);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("terminal", TerminalStatuses);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is > 0L;
    }

    /// <summary>Sets <c>Expired</c> with the error. Returns false when the command was already terminal.</summary>
    public async Task<bool> ExpireAsync(Guid commandId, CommandError error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        await using var command = dataSource.CreateCommand(
            """
            UPDATE commands
            SET status = 'Expired', error_code = @error_code, error_message = @error_message, updated_at = @now
            WHERE id = @id AND NOT (status = ANY (@terminal))
            """);
        command.Parameters.AddWithValue("id", commandId);
        command.Parameters.AddWithValue("error_code", error.Code);
        command.Parameters.AddWithValue("error_message", error.Message);
        command.Parameters.AddWithValue("now", now);
        command.Parameters.AddWithValue("terminal", TerminalStatuses);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false) > 0;
    }
}

/// <summary>What a worker reads about a command before executing it.</summary>
/// <param name="Tenant">The owning tenant.</param>
/// <param name="Type">The command type name.</param>
/// <param name="Status">The stored status, or null if the stored text is not a known status.</param>
/// <param name="Deadline">The stored deadline, if any.</param>
/// <param name="InInbox">Whether a worker already recorded the command as processed.</param>
internal sealed record CommandSnapshot(string Tenant, string Type, CommandStatus? Status, DateTimeOffset? Deadline, bool InInbox)
{
    /// <summary>Whether the command is done: in the inbox, or terminal.</summary>
    public bool AlreadyProcessed => InInbox || Status?.IsTerminal() == true;
}

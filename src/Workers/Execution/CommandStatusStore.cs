using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Deadlines;
using Messaging.Resilience;
using Messaging.Store.Outbox;
using Messaging.Store.Persistence;
using Npgsql;
using Polly;
using Polly.Registry;

namespace Messaging.Workers.Execution;

/// <summary>
/// The status transitions a worker makes on the <c>commands</c> row. Every update is
/// guarded so that a late or duplicate delivery never moves a terminal command back. The statements are
/// <see cref="CommandLedger"/>'s; this store runs them through the pipeline.
/// </summary>
/// <remarks>
/// Every statement runs through the <c>postgres</c> pipeline (timeouts, retries of transient errors,
/// breaker). Each is a single statement: a retry re-runs the whole of it. The hot three (find, claim, complete) go
/// through <see cref="StatementBatcher"/>, which sends those of concurrent commands together in one implicit
/// transaction (one round trip, one commit; issue 23 measured three commits per command without it); each caller goes
/// on only after its batch committed, exactly as after its own commit.
/// </remarks>
internal sealed class CommandStatusStore(NpgsqlDataSource dataSource, StatementBatcher batcher, ResiliencePipelineProvider<string> pipelines)
{
    private readonly ResiliencePipeline _postgres = pipelines.GetPipeline(DependencyNames.Postgres);

    /// <summary>Reads what execution needs to decide, or null when there is no such command.</summary>
    /// <remarks>Not bounded by the deadline: a command past it must still be read to be expired.</remarks>
    public Task<CommandSnapshot?> FindAsync(Guid commandId, CancellationToken cancellationToken) =>
        RunAsync(token => FindOnceAsync(commandId, token), deadline: null, cancellationToken);

    /// <summary>
    /// Sets <c>Processing</c> with <paramref name="attempt"/> (the message's attempt number) as the attempts
    /// made, within the deadline. Returns the attempt count, or null when the command must not be executed:
    /// it is terminal (or gone), or the message is a stale duplicate of an attempt already made (a later
    /// attempt is scheduled or running). The same attempt may start again while it is <c>Processing</c>:
    /// that is a redelivery after a worker died mid-call, made safe by the provider's idempotency key.
    /// </summary>
    public Task<int?> StartAttemptAsync(Guid commandId, int attempt, DateTimeOffset now, Deadline? deadline, CancellationToken cancellationToken) =>
        RunAsync(token => batcher.RunAsync(CommandLedger.StartAttemptStatement(commandId, attempt, now), CommandLedger.ReadStartAttemptAsync, token),
            deadline, cancellationToken);

    /// <summary>
    /// Stores the provider's business answer (one statement): <c>Succeeded</c> with the result, or <c>Failed</c> with the refusal. Returns false
    /// when the command was already terminal (nothing changed). Not bounded by the deadline: the answer
    /// must be kept even when it came at the last moment.
    /// </summary>
    public Task<bool> CompleteAsync(Guid commandId, CommandResult outcome, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        return RunAsync(token => batcher.RunAsync(CommandLedger.CompleteStatement(commandId, outcome.Succeeded, outcome.ResultJson, outcome.Refusal?.Code,
            outcome.Refusal?.Message, now), CommandLedger.ReadFinishedAsync, token), deadline: null, cancellationToken);
    }

    /// <summary>Sets <c>Expired</c> with the error. Returns false when the command was already terminal.</summary>
    public Task<bool> ExpireAsync(Guid commandId, CommandStatusError error, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(error);
        return RunAsync(token => CommandLedger.ExpireAsync(dataSource, commandId, error.Code, error.Message, now, token), deadline: null, cancellationToken);
    }

    /// <summary>
    /// Creates the status row of a command the gateway published directly while PostgreSQL was down
    /// (insert-if-absent, status <c>Dispatched</c>), and records its idempotency key for the tenant in the
    /// same transaction (reconciliation). Returns the command id the key stands for when an earlier command
    /// of the tenant already held it, otherwise null.
    /// </summary>
    public Task<Guid?> CreateIfAbsentAsync(DirectlyPublishedCommand command, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        return RunAsync(token => CreateIfAbsentOnceAsync(command, token), deadline: null, cancellationToken);
    }

    private async Task<T> RunAsync<T>(Func<CancellationToken, Task<T>> statement, Deadline? deadline, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        if (deadline is { } due)
        {
            context.Properties.Set(Deadline.PropertyKey, due);
        }

        try
        {
            return await _postgres.ExecuteAsync(
                static async (attempt, run) => await run(attempt.CancellationToken).ConfigureAwait(false), context, statement).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private async Task<Guid?> CreateIfAbsentOnceAsync(DirectlyPublishedCommand command, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await CommandLedger.InsertCommandIfAbsentAsync(transaction, command.Row, CommandStatus.Dispatched, cancellationToken).ConfigureAwait(false);
        Guid? holder = null;
        if (command.Idempotency is { } key)
        {
            var current = await CommandLedger.InsertIdempotencyKeyIfAbsentAsync(transaction, command.Row, key.Key, key.RequestHash,
                CommandRows.AcceptedResponseJson(command.Row.Id, command.Row.TypeName, CommandAccepted.ViaDirect), key.ExpiresAt,
                cancellationToken).ConfigureAwait(false);
            holder = current == command.Row.Id ? null : current;
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return holder;
    }

    private Task<CommandSnapshot?> FindOnceAsync(Guid commandId, CancellationToken cancellationToken)
    {
        var statement = new NpgsqlBatchCommand(
            """
            SELECT c.tenant, c.type, c.status, c.deadline
            FROM commands c
            WHERE c.id = @id
            """);
        statement.Parameters.AddWithValue("id", commandId);
        return batcher.RunAsync(statement, ReadSnapshotAsync, cancellationToken);
    }

    private static async Task<CommandSnapshot?> ReadSnapshotAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }

        var statusText = reader.GetString(2);
        return new CommandSnapshot(
            Tenant: reader.GetString(0),
            Type: reader.GetString(1),
            Status: Enum.TryParse<CommandStatus>(statusText, ignoreCase: false, out var status) ? status : null,
            Deadline: reader.IsDBNull(3) ? null : reader.GetFieldValue<DateTimeOffset>(3));
    }
}

/// <summary>What a worker reads about a command before executing it.</summary>
/// <param name="Tenant">The owning tenant.</param>
/// <param name="Type">The command type name.</param>
/// <param name="Status">The stored status, or null if the stored text is not a known status.</param>
/// <param name="Deadline">The stored deadline, if any.</param>
internal sealed record CommandSnapshot(string Tenant, string Type, CommandStatus? Status, DateTimeOffset? Deadline)
{
    /// <summary>Whether the command is done: its status is terminal (the terminal status is the inbox).</summary>
    public bool AlreadyProcessed => Status?.IsTerminal() == true;
}

using System.Collections.Concurrent;
using System.Text.Json;
using System.Threading.Channels;
using Messaging.Contracts.Commands;
using Messaging.Resilience;
using Messaging.Store.Outbox;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Polly.Registry;

namespace Messaging.Gateway.Commands;

/// <summary>
/// Group commit for the durable accept: submissions that arrive while a transaction is being written wait in a
/// channel, and the next free writer takes up to <see cref="GroupCommitOptions.MaxBatchSize"/> of them into one
/// transaction (one round trip for all rows, one commit, one WAL flush), then completes each caller with its own
/// outcome. A caller is completed only after the commit, so a 202 still means the row is committed.
/// Idempotency keys are claimed per submission inside the shared transaction (the same advisory lock and
/// read as alone; a second submission of the same key in one batch is "in flight", as it would be across
/// transactions); a command id that already exists (a retried submission whose first commit went through)
/// is skipped by <c>ON CONFLICT</c>. If the batch fails for a reason other than the connection, its
/// submissions are written again one by one, so one bad row cannot fail the others.
/// Each shared transaction runs through the <c>postgres</c> resilience pipeline once (transient failures retried
/// for the whole batch, the breaker and timeouts as for any call): the submissions themselves do not each run the
/// pipeline around their wait, which cost a dozen state machines, two timers and a linked token per accept.
/// </summary>
internal sealed partial class GroupCommitWriter(
    NpgsqlDataSource dataSource,
    OutboxSignal outboxSignal,
    IOptionsMonitor<GroupCommitOptions> options,
    ResiliencePipelineProvider<string> pipelines,
    TimeProvider timeProvider,
    ILogger<GroupCommitWriter> logger) : BackgroundService
{
    private readonly ConcurrentBag<CommandLedger.AcceptBatch> _statements = [];
    private readonly Channel<Pending> _queue = Channel.CreateUnbounded<Pending>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private volatile bool _running;

    /// <summary>
    /// Queues <paramref name="command"/> for the next shared transaction and waits for its outcome; null when group
    /// commit is off or the writers are not running (the caller then writes the command alone).
    /// </summary>
    public async ValueTask<SubmitOutcome?> TrySubmitAsync(NewCommand command, CancellationToken cancellationToken)
    {
        if (!_running || !options.CurrentValue.Enabled)
        {
            return null;
        }

        var pending = Pending.Create(command, cancellationToken);
        if (!_queue.Writer.TryWrite(pending))
        {
            return null;
        }

        return await pending.Outcome.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes <paramref name="commands"/> (a batch request's items, checked already) in one transaction of their own,
    /// all or none, through the <c>postgres</c> pipeline; never through the shared queue, whose failed groups are written
    /// again one submission at a time. Keys are claimed as for single submissions: an item whose key stands for the same
    /// request gets <see cref="SubmitOutcome.Replayed"/>; when any item's key is in flight or was used for another
    /// request, nothing is written and the outcomes say which. Returns one outcome per item, in order.
    /// </summary>
    public async ValueTask<SubmitOutcome[]> WriteAllOrNoneAsync(IReadOnlyList<NewCommand> commands, CancellationToken cancellationToken)
    {
        var batch = new Pending[commands.Count];
        for (var i = 0; i < batch.Length; i++)
        {
            batch[i] = Pending.Create(commands[i], cancellationToken);
        }

        var outcomes = await pipelines.GetPipeline(DependencyNames.Postgres).ExecuteAsync(
            static (state, ct) => new ValueTask<SubmitOutcome[]>(state.Writer.WriteOnceAsync(state.Batch, allOrNone: true, ct)),
            (Writer: this, Batch: batch), cancellationToken).ConfigureAwait(false);
        if (outcomes.Any(o => o is SubmitOutcome.Created))
        {
            outboxSignal.Notify();
        }

        return outcomes;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _running = true;
        try
        {
            var writers = Enumerable.Range(0, options.CurrentValue.Writers).Select(_ => WriteLoopAsync(stoppingToken)).ToArray();
            await Task.WhenAll(writers).ConfigureAwait(false);
        }
        finally
        {
            _running = false;
            _queue.Writer.TryComplete();
            while (_queue.Reader.TryRead(out var left))
            {
                left.Outcome.TrySetCanceled(stoppingToken);
            }
        }
    }

    private async Task WriteLoopAsync(CancellationToken stoppingToken)
    {
        var batch = new List<Pending>();
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                var maxBatch = options.CurrentValue.MaxBatchSize;
                while (batch.Count < maxBatch && _queue.Reader.TryRead(out var pending))
                {
                    // A caller that gave up (its timeout, or the client went away) is not written at all.
                    if (pending.CancellationToken.IsCancellationRequested)
                    {
                        pending.Outcome.TrySetCanceled(pending.CancellationToken);
                    }
                    else
                    {
                        batch.Add(pending);
                    }
                }

                if (batch.Count > 0)
                {
                    await WriteBatchAsync(batch, stoppingToken).ConfigureAwait(false);
                    batch.Clear();
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            foreach (var pending in batch)
            {
                pending.Outcome.TrySetCanceled(stoppingToken);
            }
        }
    }

    /// <summary>
    /// Writes <paramref name="batch"/> in one transaction through the <c>postgres</c> pipeline and completes every
    /// submission of it: with the outcome after the commit, or with the pipeline's exception (after its retries, an
    /// open breaker, a timeout), which each caller handles as it handled its own pipeline's. Visible for tests.
    /// </summary>
    internal async Task WriteBatchAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        var postgres = pipelines.GetPipeline(DependencyNames.Postgres);
        try
        {
            await postgres.ExecuteAsync(static (state, ct) => state.Writer.WriteLiveAsync(state.Batch, ct), (Writer: this, Batch: batch), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (PostgresException ex) when (batch.Count > 1 && !ex.IsTransient)
        {
            // Something in one submission broke the shared statement: write each alone, so only that one fails.
            Log.BatchSplit(logger, batch.Count, ex.SqlState);
            foreach (var pending in batch)
            {
                try
                {
                    await postgres.ExecuteAsync(static (state, ct) => state.Writer.WriteLiveAsync([state.Pending], ct), (Writer: this, Pending: pending),
                        cancellationToken).ConfigureAwait(false);
                }
                catch (Exception single) when (single is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    pending.Outcome.TrySetException(single);
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The connection or the commit failed (after the pipeline's retries), or the breaker is open: nothing of
            // the batch is known to be committed. A later submission of a command whose commit went through after
            // all is skipped by ON CONFLICT.
            foreach (var pending in batch)
            {
                pending.Outcome.TrySetException(ex);
            }
        }
    }

    /// <summary>One attempt: the submissions whose callers still wait, in one transaction; completed after its commit.</summary>
    private async ValueTask WriteLiveAsync(IReadOnlyList<Pending> batch, CancellationToken cancellationToken)
    {
        IReadOnlyList<Pending> live = batch;
        for (var i = 0; i < batch.Count; i++)
        {
            if (batch[i].CancellationToken.IsCancellationRequested)
            {
                // A caller that gave up while an earlier attempt failed is not written at all.
                live = batch.Where(p => !p.CancellationToken.IsCancellationRequested).ToList();
                foreach (var gone in batch.Where(p => p.CancellationToken.IsCancellationRequested))
                {
                    gone.Outcome.TrySetCanceled(gone.CancellationToken);
                }

                break;
            }
        }

        if (live.Count == 0)
        {
            return;
        }

        Complete(live, await WriteOnceAsync(live, allOrNone: false, cancellationToken).ConfigureAwait(false));
    }

    private void Complete(IReadOnlyList<Pending> batch, SubmitOutcome[] outcomes)
    {
        var created = false;
        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is SubmitOutcome.Created)
            {
                created = true;
                var command = batch[i].Command;
                Log.CommandAccepted(logger, command.Id, command.Descriptor.TypeName, command.Tenant, command.Idempotency is not null, batch.Count);
            }

            batch[i].Outcome.TrySetResult(outcomes[i]);
        }

        if (created)
        {
            outboxSignal.Notify();
        }
    }

    // With allOrNone, a key in flight or reused anywhere writes nothing (the transaction is rolled back unused).
    private async Task<SubmitOutcome[]> WriteOnceAsync(IReadOnlyList<Pending> batch, bool allOrNone, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        var outcomes = new SubmitOutcome[batch.Count];
        var toInsert = new List<Pending>(batch.Count);
        HashSet<(string Tenant, string Key)>? claimed = null;
        List<int>? keyed = null;
        for (var i = 0; i < batch.Count; i++)
        {
            var pending = batch[i];
            var command = pending.Command;
            outcomes[i] = new SubmitOutcome.Created(pending.Response);
            if (command.Idempotency is not { } idempotency)
            {
                continue;
            }

            // Advisory locks are re-entrant within a session: a second submission of the same key in this
            // transaction must see the first one as in flight, exactly as another transaction would.
            claimed ??= [];
            if (!claimed.Add((command.Tenant, idempotency.Key)))
            {
                outcomes[i] = new SubmitOutcome.KeyInFlight();
                continue;
            }

            (keyed ??= []).Add(i);
        }

        // Every key of the batch claimed in one round trip (two statements per key, one after the other, before).
        var claims = keyed is null
            ? []
            : await CommandLedger.TryClaimIdempotencyKeysAsync(transaction,
                keyed.Select(i => (batch[i].Command.Tenant, batch[i].Command.Idempotency!.Key, batch[i].Command.Now)).ToList(), cancellationToken)
                .ConfigureAwait(false);
        for (var k = 0; k < claims.Length; k++)
        {
            var i = keyed![k];
            var idempotency = batch[i].Command.Idempotency!;
            outcomes[i] = claims[k] switch
            {
                IdempotencyClaim.InFlight => new SubmitOutcome.KeyInFlight(),
                IdempotencyClaim.Stored stored when stored.RequestHash.AsSpan().SequenceEqual(idempotency.RequestHash) =>
                    new SubmitOutcome.Replayed(JsonSerializer.Deserialize<CommandAccepted>(stored.ResponseBody, CommandStore.StoredJson)
                        ?? throw new InvalidOperationException("A stored idempotent response is empty.")),
                IdempotencyClaim.Stored => new SubmitOutcome.KeyReused(),
                _ => outcomes[i],
            };
        }

        for (var i = 0; i < batch.Count; i++)
        {
            if (outcomes[i] is SubmitOutcome.Created)
            {
                toInsert.Add(batch[i]);
            }
        }

        if (allOrNone && outcomes.Any(o => o is SubmitOutcome.KeyInFlight or SubmitOutcome.KeyReused))
        {
            return [.. outcomes.Select(o => o is SubmitOutcome.Created ? new SubmitOutcome.NotWritten() : o)];
        }

        if (toInsert.Count > 0)
        {
            // One statement object (the ledger's) per batch in flight, reused: its typed parameters keep their resolved types and the
            // SQL is parsed once (a new command per batch cost 17 parameters and their type lookups each time).
            var statement = _statements.TryTake(out var pooled) ? pooled : new CommandLedger.AcceptBatch();
            statement.Fill(toInsert, timeProvider.GetUtcNow());
            statement.Command.Connection = connection;
            statement.Command.Transaction = transaction;
            await statement.Command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            statement.Release();
            _statements.Add(statement); // after a failure the statement is dropped, not reused
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>A submission waiting for its batch, with what its rows need (built on the request's thread).</summary>
    internal sealed class Pending(NewCommand command, CommandRow row, OutboxMessage message, CancellationToken cancellationToken) : IBatchedAccept
    {
        /// <summary>Built on the request's thread: the outbox headers carry the request's trace context (Activity.Current).</summary>
        public static Pending Create(NewCommand command, CancellationToken cancellationToken)
        {
            var row = CommandStore.ToRow(command);
            return new Pending(command, row, CommandRows.ToOutboxMessage(row, command.Descriptor, command.Request.ToMessage(command.Id, command.Tenant)),
                cancellationToken);
        }

        public NewCommand Command { get; } = command;

        public CommandRow Row { get; } = row;

        public OutboxMessage Message { get; } = message;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public CommandAccepted Response { get; } =
            new(command.Id, command.Descriptor.TypeName, command.InitialStatus, CommandAccepted.StatusUrlFor(command.Id), CommandAccepted.ViaOutbox);

        public TaskCompletionSource<SubmitOutcome> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public byte[]? RequestHash => Command.Idempotency?.RequestHash;

        public DateTimeOffset? KeyExpiresAt => Command.Idempotency?.ExpiresAt;

        /// <summary>Serialised on the writer's thread, when the batch is filled.</summary>
        public string? StoredResponse() => Command.Idempotency is null ? null : JsonSerializer.Serialize(Response, CommandStore.StoredJson);
    }

    private static partial class Log
    {
        // CommandStore's CommandAccepted (2100) for a submission written alone; this one names the shared transaction's size.
        [LoggerMessage(EventId = 2106, EventName = "CommandAcceptedInGroup", Level = LogLevel.Information,
            Message = "Accepted command {CommandId} of type {CommandType} for tenant {Tenant} (idempotency key: {HasIdempotencyKey}; group commit of {BatchSize})")]
        public static partial void CommandAccepted(ILogger logger, Guid commandId, string commandType, string tenant, bool hasIdempotencyKey, int batchSize);

        [LoggerMessage(EventId = 2105, EventName = "GroupCommitBatchSplit", Level = LogLevel.Warning,
            Message = "A group commit of {Count} submissions failed (SQL state {SqlState}); writing them one by one")]
        public static partial void BatchSplit(ILogger logger, int count, string sqlState);
    }
}

/// <summary>Registers <see cref="GroupCommitWriter"/>.</summary>
internal static class GroupCommitExtensions
{
    /// <summary>Adds the group commit writer and its options (section <c>Commands:GroupCommit</c>, validated on start).</summary>
    public static IServiceCollection AddGroupCommit(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<GroupCommitOptions>()
            .Bind(configuration.GetSection(GroupCommitOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<GroupCommitWriter>();
        services.AddHostedService(sp => sp.GetRequiredService<GroupCommitWriter>());
        return services;
    }
}

using System.Threading.Channels;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Store.Persistence;

/// <summary>
/// Group commit for single statements: statements that wait at the same moment (a worker's concurrent commands each
/// reading, claiming or finishing their own row) go to PostgreSQL as one <see cref="NpgsqlBatch"/>, which PostgreSQL runs
/// as one implicit transaction: one round trip and one commit for all of them, where each alone paid both. A statement
/// that arrives while the batches in flight are busy waits for the next one, so nothing waits on a timer: alone, a
/// statement goes at once.
/// </summary>
/// <remarks>
/// Each caller's task completes only after its batch committed, so a statement is as durable when its caller goes on as
/// if it had run alone. If a batch fails (one statement's error aborts the implicit transaction, and then nothing of it
/// committed), each of its statements runs again alone, so one caller's error is never another's. The statements must
/// be ones that may share a transaction: single-row writes guarded by their own conditions, and reads.
/// </remarks>
public sealed class StatementBatcher : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly StatementBatchingOptions _options;
    private readonly Channel<PendingStatement> _waiting = Channel.CreateUnbounded<PendingStatement>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _senders;

    /// <summary>Starts <see cref="StatementBatchingOptions.Concurrency"/> senders on <paramref name="dataSource"/>.</summary>
    public StatementBatcher(NpgsqlDataSource dataSource, IOptions<StatementBatchingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        ArgumentNullException.ThrowIfNull(options);
        _dataSource = dataSource;
        _options = options.Value;
        _senders = _options.Enabled ? [.. Enumerable.Range(0, _options.Concurrency).Select(_ => Task.Run(SendAsync))] : [];
    }

    /// <summary>
    /// Runs <paramref name="statement"/> (made by the caller, with its parameters) in the next batch and returns what
    /// <paramref name="read"/> makes of its result set. <paramref name="cancellationToken"/> stops the wait; a statement
    /// already sent may still commit, as one cancelled while it ran alone may.
    /// </summary>
    public async Task<T> RunAsync<T>(NpgsqlBatchCommand statement, Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(statement);
        ArgumentNullException.ThrowIfNull(read);
        var pending = new PendingStatement<T>(statement, read, cancellationToken);
        if (!_options.Enabled)
        {
            await RunAloneAsync(pending, cancellationToken).ConfigureAwait(false);
        }
        else if (!_waiting.Writer.TryWrite(pending))
        {
            throw new ObjectDisposedException(nameof(StatementBatcher));
        }

        return await pending.Result.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking statements; those already waiting are still sent.</summary>
    public async ValueTask DisposeAsync()
    {
        _waiting.Writer.TryComplete();
        await Task.WhenAll(_senders).ConfigureAwait(false);
    }

    private async Task SendAsync()
    {
        var reader = _waiting.Reader;
        var batch = new List<PendingStatement>(_options.MaxStatements);
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (batch.Count < _options.MaxStatements && reader.TryRead(out var pending))
            {
                // A caller that gave up before its statement was sent is not sent at all.
                if (!pending.IsAbandoned)
                {
                    batch.Add(pending);
                }
            }

            if (batch.Count == 1)
            {
                await RunAloneAsync(batch[0], CancellationToken.None).ConfigureAwait(false);
            }
            else if (batch.Count > 1)
            {
                await RunBatchAsync(batch).ConfigureAwait(false);
            }

            batch.Clear();
        }
    }

    private async Task RunBatchAsync(List<PendingStatement> statements)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync().ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection);
            foreach (var statement in statements)
            {
                batch.BatchCommands.Add(statement.Statement);
            }

            // The results are read into memory first and handed out after the whole batch (and so its commit) is done.
            var results = new Action[statements.Count];
            await using (var reader = await batch.ExecuteReaderAsync().ConfigureAwait(false))
            {
                for (var i = 0; i < statements.Count; i++)
                {
                    results[i] = await statements[i].ReadAsync(reader).ConfigureAwait(false);
                    await reader.NextResultAsync().ConfigureAwait(false);
                }
            }

            batch.BatchCommands.Clear();
            foreach (var complete in results)
            {
                complete();
            }
        }
        catch (Exception)
        {
            // Nothing of the batch committed: each statement again, alone, so each caller gets its own answer. A copy of each:
            // Npgsql does not bind a batch command's parameters a second time.
            foreach (var statement in statements)
            {
                await RunAloneAsync(statement, CancellationToken.None, copy: true).ConfigureAwait(false);
            }
        }
    }

    private async Task RunAloneAsync(PendingStatement statement, CancellationToken cancellationToken, bool copy = false)
    {
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var batch = new NpgsqlBatch(connection);
            batch.BatchCommands.Add(copy ? Copy(statement.Statement) : statement.Statement);
            Action complete;
            await using (var reader = await batch.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                complete = await statement.ReadAsync(reader).ConfigureAwait(false);
            }

            batch.BatchCommands.Clear();
            complete();
        }
        catch (Exception ex)
        {
            statement.Fail(ex);
        }
    }

    private static NpgsqlBatchCommand Copy(NpgsqlBatchCommand statement)
    {
        var copy = new NpgsqlBatchCommand(statement.CommandText);
        foreach (NpgsqlParameter parameter in statement.Parameters)
        {
            copy.Parameters.Add(parameter.Clone());
        }

        return copy;
    }

    private abstract class PendingStatement(NpgsqlBatchCommand statement)
    {
        public NpgsqlBatchCommand Statement { get; } = statement;

        public abstract bool IsAbandoned { get; }

        /// <summary>Reads the statement's result set and returns what completes its caller.</summary>
        public abstract Task<Action> ReadAsync(NpgsqlDataReader reader);

        public abstract void Fail(Exception exception);
    }

    private sealed class PendingStatement<T>(NpgsqlBatchCommand statement, Func<NpgsqlDataReader, CancellationToken, Task<T>> read, CancellationToken cancellationToken)
        : PendingStatement(statement)
    {
        private readonly TaskCompletionSource<T> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<T> Result => _result.Task;

        public override bool IsAbandoned => cancellationToken.IsCancellationRequested;

        public override async Task<Action> ReadAsync(NpgsqlDataReader reader)
        {
            var value = await read(reader, CancellationToken.None).ConfigureAwait(false);
            return () => _result.TrySetResult(value);
        }

        public override void Fail(Exception exception) => _result.TrySetException(exception);
    }
}

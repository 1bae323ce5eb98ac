using Messaging.Resilience;
using Npgsql;
using Polly;
using Polly.Registry;

namespace Messaging.Workers.Execution;

/// <summary>
/// Runs a unit of work in one PostgreSQL transaction through the <c>postgres</c> pipeline (timeouts,
/// retries of transient errors, breaker): a retry re-runs the whole transaction, never half of one.
/// </summary>
internal sealed class PostgresTransactions(NpgsqlDataSource dataSource, ResiliencePipelineProvider<string> pipelines)
{
    private readonly ResiliencePipeline _postgres = pipelines.GetPipeline(DependencyNames.Postgres);

    /// <summary>Runs <paramref name="work"/> in a transaction and commits it; the result of the committed run is returned.</summary>
    public async Task<T> RunAsync<T>(Func<NpgsqlTransaction, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            return await _postgres.ExecuteAsync(
                static async (attempt, state) =>
                {
                    var token = attempt.CancellationToken;
                    await using var connection = await state.DataSource.OpenConnectionAsync(token).ConfigureAwait(false);
                    await using var transaction = await connection.BeginTransactionAsync(token).ConfigureAwait(false);
                    var result = await state.Work(transaction, token).ConfigureAwait(false);
                    await transaction.CommitAsync(token).ConfigureAwait(false);
                    return result;
                }, context, (DataSource: dataSource, Work: work)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }
}

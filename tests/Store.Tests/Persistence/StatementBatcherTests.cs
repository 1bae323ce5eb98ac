using Messaging.Store.Persistence;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Messaging.Store.Tests.Persistence;

/// <summary>
/// The batcher against the real PostgreSQL: statements that wait together share one transaction, one failing statement
/// costs the others nothing, and a caller that gave up is not sent. A statement that waits on an advisory lock the test
/// holds keeps the only sender busy, so the statements queued meanwhile deterministically form the next batch.
/// </summary>
public sealed class StatementBatcherTests : IAsyncLifetime
{
    private const long GateKey = 230_023;
    private readonly MigratedDatabase _database = new();

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        await using var create = _database.DataSource.CreateCommand(
            "CREATE TABLE batch_probe (id int PRIMARY KEY, n int NOT NULL); INSERT INTO batch_probe SELECT g, 0 FROM generate_series(1, 10) g");
        await create.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task StatementsWaitingTogether_RunInOneTransaction_AndEachCallerGetsItsOwnResult()
    {
        await using var batcher = Batcher(enabled: true);
        var (gate, blocked) = await HoldGateAsync(batcher);

        var updates = Enumerable.Range(1, 10).Select(id => batcher.RunAsync(Increment(id), ReadTransactionAndValueAsync, TestContext.Current.CancellationToken)).ToArray();
        await ReleaseGateAsync(gate);
        await blocked;
        var results = await Task.WhenAll(updates);

        Assert.Single(results.Select(r => r.Transaction).Distinct());
        Assert.All(results.Zip(Enumerable.Range(1, 10)), pair => Assert.Equal(pair.Second * 100 + 1, pair.First.Value));
        Assert.Equal(10L, await ScalarAsync<long>("SELECT count(*) FROM batch_probe WHERE n = 1"));
    }

    [Fact]
    public async Task AFailingStatement_FailsOnlyItsCaller_AndTheOthersOfItsBatchStillCommit()
    {
        await using var batcher = Batcher(enabled: true);
        var (gate, blocked) = await HoldGateAsync(batcher);

        var first = batcher.RunAsync(Increment(1), ReadTransactionAndValueAsync, TestContext.Current.CancellationToken);
        var failing = batcher.RunAsync(new NpgsqlBatchCommand("SELECT 1 / 0"), ReadTransactionAndValueAsync, TestContext.Current.CancellationToken);
        var third = batcher.RunAsync(Increment(3), ReadTransactionAndValueAsync, TestContext.Current.CancellationToken);
        await ReleaseGateAsync(gate);
        await blocked;

        Assert.Equal(101, (await first).Value);
        Assert.Equal(301, (await third).Value);
        var error = await Assert.ThrowsAsync<PostgresException>(() => failing);
        Assert.Equal(PostgresErrorCodes.DivisionByZero, error.SqlState);
        Assert.Equal(2L, await ScalarAsync<long>("SELECT count(*) FROM batch_probe WHERE n = 1"));
    }

    [Fact]
    public async Task ACallerThatGaveUpBeforeItsBatch_IsNotSent()
    {
        await using var batcher = Batcher(enabled: true);
        var (gate, blocked) = await HoldGateAsync(batcher);

        using var giveUp = new CancellationTokenSource();
        var abandoned = batcher.RunAsync(Increment(5), ReadTransactionAndValueAsync, giveUp.Token);
        var kept = batcher.RunAsync(Increment(6), ReadTransactionAndValueAsync, TestContext.Current.CancellationToken);
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => abandoned);
        await ReleaseGateAsync(gate);
        await blocked;

        Assert.Equal(601, (await kept).Value);
        Assert.Equal(0, await ScalarAsync<int>("SELECT n FROM batch_probe WHERE id = 5"));
    }

    [Fact]
    public async Task Disabled_EachStatementRunsAlone()
    {
        await using var batcher = Batcher(enabled: false);

        var results = await Task.WhenAll(Enumerable.Range(1, 5).Select(id => batcher.RunAsync(Increment(id), ReadTransactionAndValueAsync, TestContext.Current.CancellationToken)));

        Assert.Equal(5, results.Select(r => r.Transaction).Distinct().Count());
    }

    private StatementBatcher Batcher(bool enabled) =>
        new(_database.DataSource, Options.Create(new StatementBatchingOptions { Enabled = enabled, Concurrency = 1, MaxStatements = 32 }));

    /// <summary>Sets n = 1 on row <paramref name="id"/> and returns its transaction id and id * 100 + n.</summary>
    private static NpgsqlBatchCommand Increment(int id)
    {
        var statement = new NpgsqlBatchCommand("UPDATE batch_probe SET n = n + 1 WHERE id = @id RETURNING pg_current_xact_id()::text, id * 100 + n");
        statement.Parameters.AddWithValue("id", id);
        return statement;
    }

    private static async Task<(string Transaction, int Value)> ReadTransactionAndValueAsync(NpgsqlDataReader reader, CancellationToken cancellationToken)
    {
        Assert.True(await reader.ReadAsync(cancellationToken));
        return (reader.GetString(0), reader.GetInt32(1));
    }

    /// <summary>Holds the advisory lock on a connection of the test's, then sends through the batcher a statement waiting for it.</summary>
    private async Task<(NpgsqlConnection Gate, Task Blocked)> HoldGateAsync(StatementBatcher batcher)
    {
        var gate = await _database.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using (var take = new NpgsqlCommand($"SELECT pg_advisory_lock({GateKey})", gate))
        {
            await take.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var blocked = batcher.RunAsync(new NpgsqlBatchCommand($"SELECT pg_advisory_xact_lock({GateKey})"), static (_, _) => Task.FromResult(0),
            TestContext.Current.CancellationToken);
        Assert.True(await WaitingOnGateAsync(), "the first statement never reached the advisory lock");
        return (gate, blocked);
    }

    private async Task<bool> WaitingOnGateAsync()
    {
        for (var i = 0; i < 200; i++)
        {
            if (await ScalarAsync<long>("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted") > 0)
            {
                return true;
            }

            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        return false;
    }

    private static async Task ReleaseGateAsync(NpgsqlConnection gate)
    {
        await using (var release = new NpgsqlCommand($"SELECT pg_advisory_unlock({GateKey})", gate))
        {
            await release.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await gate.DisposeAsync();
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

using Messaging.Store.Outbox;
using Npgsql;

namespace Messaging.Store.Tests.Outbox;

/// <summary>The group commit's claim of many idempotency keys in one round trip, against the real PostgreSQL.</summary>
public sealed class IdempotencyClaimsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 12, 8, 10, 0, 0, TimeSpan.Zero);
    private readonly MigratedDatabase _database = new();

    public ValueTask InitializeAsync() => _database.InitializeAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task EachKey_IsFree_Stored_ExpiredAndForgotten_OrInFlight_InTheOrderAsked()
    {
        var storedCommand = Guid.NewGuid();
        await ExecuteAsync(
            """
            INSERT INTO idempotency_keys (tenant, key, request_hash, command_id, status_code, response_body, created_at, expires_at) VALUES
              ('t1', 'stored', '\x0102', @stored, 202, '{"id":"x"}', @now, @later),
              ('t1', 'expired', '\x0304', gen_random_uuid(), 202, '{}', @earlier, @earlier),
              ('t2', 'stored', '\x0506', gen_random_uuid(), 202, '{}', @now, @later)
            """,
            ("stored", storedCommand), ("now", Now), ("later", Now.AddHours(1)), ("earlier", Now.AddHours(-2)));

        // Another transaction holds t1/busy, as a request still in flight would.
        await using var other = await _database.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var otherTransaction = await other.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@k)", other, otherTransaction))
        {
            hold.Parameters.AddWithValue("k", CommandRows.IdempotencyLockKey("t1", "busy"));
            await hold.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var connection = await _database.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var claims = await CommandLedger.TryClaimIdempotencyKeysAsync(transaction,
            [("t1", "free", Now), ("t1", "stored", Now), ("t1", "expired", Now), ("t1", "busy", Now), ("t3", "stored", Now)],
            TestContext.Current.CancellationToken);

        Assert.IsType<IdempotencyClaim.Free>(claims[0]);
        var stored = Assert.IsType<IdempotencyClaim.Stored>(claims[1]);
        Assert.Equal(storedCommand, stored.CommandId);
        Assert.Equal(new byte[] { 1, 2 }, stored.RequestHash);
        Assert.IsType<IdempotencyClaim.Free>(claims[2]);
        Assert.IsType<IdempotencyClaim.InFlight>(claims[3]);
        Assert.IsType<IdempotencyClaim.Free>(claims[4]); // t3's key, not t2's: keys are per tenant
        await transaction.CommitAsync(TestContext.Current.CancellationToken);

        Assert.Equal(2L, await CountAsync("SELECT count(*) FROM idempotency_keys"));
        Assert.Equal(0L, await CountAsync("SELECT count(*) FROM idempotency_keys WHERE key = 'expired'"));
    }

    [Fact]
    public async Task TheClaimedKeys_StayLockedUntilTheTransactionEnds()
    {
        await using var connection = await _database.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var first = await CommandLedger.TryClaimIdempotencyKeysAsync(transaction, [("t1", "a", Now), ("t1", "b", Now)], TestContext.Current.CancellationToken);
        Assert.All(first, claim => Assert.IsType<IdempotencyClaim.Free>(claim));

        await using var other = await _database.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using (var otherTransaction = await other.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            var second = await CommandLedger.TryClaimIdempotencyKeysAsync(otherTransaction, [("t1", "b", Now), ("t1", "c", Now)], TestContext.Current.CancellationToken);
            Assert.IsType<IdempotencyClaim.InFlight>(second[0]);
            Assert.IsType<IdempotencyClaim.Free>(second[1]);
        }

        await transaction.RollbackAsync(TestContext.Current.CancellationToken);
        await using var afterwards = await other.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var third = await CommandLedger.TryClaimIdempotencyKeysAsync(afterwards, [("t1", "b", Now)], TestContext.Current.CancellationToken);
        Assert.IsType<IdempotencyClaim.Free>(third[0]);
    }

    private async Task ExecuteAsync(string sql, params (string Name, object Value)[] parameters)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private async Task<long> CountAsync(string sql)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        return (long)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

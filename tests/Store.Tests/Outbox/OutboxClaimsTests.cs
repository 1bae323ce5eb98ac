using Messaging.Store.Outbox;
using Npgsql;

namespace Messaging.Store.Tests.Outbox;

/// <summary>
/// The relay's claim on a real PostgreSQL database: both ends of the due order, so that a burst of rows due at one
/// moment neither holds back a row written after it nor stops draining. Counts, not timings.
/// </summary>
public sealed class OutboxClaimsTests : IAsyncLifetime
{
    private static readonly DateTimeOffset BurstDue = new(2026, 3, 10, 9, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Now = BurstDue.AddMinutes(1);
    private readonly MigratedDatabase _database = new();

    private NpgsqlDataSource DataSource => _database.DataSource;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _database.InitializeAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task TheFirstClaim_AfterABurstLargerThanABatch_TakesTheRowWrittenAfterIt_AndTheBurstsOldestRows()
    {
        var burst = await InsertAsync(250, BurstDue);
        var fresh = Assert.Single(await InsertAsync(1, BurstDue.AddSeconds(1)));

        var claimed = await ClaimAndMarkSentAsync(100, newestShare: 0.5, pass: 0);

        Assert.Equal(100, claimed.Count);
        Assert.Contains(fresh, claimed);
        Assert.Equal(burst.Take(50), claimed.Take(50)); // the oldest end, in due order
        Assert.Equal([.. burst.TakeLast(49), fresh], claimed.Skip(50)); // the newest end, returned in due order too
    }

    [Fact]
    public async Task InDueOrderOnly_TheRowWrittenAfterTheBurst_WaitsUntilTheBurstHasDrained()
    {
        await InsertAsync(250, BurstDue);
        var fresh = Assert.Single(await InsertAsync(1, BurstDue.AddSeconds(1)));

        var passes = new List<List<long>>();
        for (var pass = 0; pass < 3; pass++)
        {
            passes.Add(await ClaimAndMarkSentAsync(100, newestShare: 0, pass));
        }

        // The claim before this change: three passes for the fresh row, the last of them.
        Assert.DoesNotContain(fresh, passes[0]);
        Assert.DoesNotContain(fresh, passes[1]);
        Assert.Equal(fresh, passes[2][^1]);
    }

    [Fact]
    public async Task RepeatedClaims_DrainTheBacklog_TheOldestRowsInEveryPass_EachRowOnce()
    {
        var burst = await InsertAsync(1_000, BurstDue);
        var claimed = new List<long>();
        var passes = 0;
        List<long> pass;
        while ((pass = await ClaimAndMarkSentAsync(100, newestShare: 0.5, passes)).Count > 0)
        {
            // Every pass moves the backlog on from its oldest end: it takes the oldest row still pending.
            Assert.Equal(burst.Except(claimed).First(), pass[0]);
            claimed.AddRange(pass);
            passes++;
        }

        Assert.Equal(10, passes);
        Assert.Equal(burst, claimed.Order());
    }

    [Fact]
    public async Task WithFewerRowsDueThanTheBatch_BothEndsMeet_AndEachDueRowIsClaimedOnce_InDueOrder()
    {
        var due = await InsertAsync(3, BurstDue);
        await InsertAsync(2, Now.AddSeconds(1)); // not due yet

        var claimed = await ClaimAndMarkSentAsync(100, newestShare: 0.5, pass: 0);

        Assert.Equal(due, claimed);
    }

    [Fact]
    public async Task WithABatchOfOne_ThePassesTakeTheOldestAndTheNewestRowInTurn()
    {
        var burst = await InsertAsync(10, BurstDue);
        var fresh = await InsertAsync(2, BurstDue.AddSeconds(1));

        var claimed = new List<long>();
        for (var pass = 0; pass < 4; pass++)
        {
            claimed.AddRange(await ClaimAndMarkSentAsync(1, newestShare: 0.5, pass));
        }

        Assert.Equal([burst[0], fresh[1], burst[1], fresh[0]], claimed);
    }

    [Fact]
    public async Task TwoClaimsAtOnce_TakeDisjointRows_FromBothEnds()
    {
        var rows = await InsertAsync(400, BurstDue);
        await using var first = await BeginAsync();
        await using var second = await BeginAsync();

        var a = (await OutboxClaims.ClaimAsync(first.Transaction, 50, 50, Now, Ct)).Select(r => r.Id).ToList();
        var b = (await OutboxClaims.ClaimAsync(second.Transaction, 50, 50, Now, Ct)).Select(r => r.Id).ToList();

        Assert.Equal([.. rows[..50], .. rows[^50..]], a);
        Assert.Equal([.. rows[50..100], .. rows[^100..^50]], b);
    }

    [Fact]
    public async Task TheClaimsPlan_ReadsEachEndFromTheIndexOfPendingRows_AndOnlyTheRowsItTakes_EvenWithStatisticsFromBeforeTheBacklog()
    {
        await InsertAsync(1_000, BurstDue.AddHours(-1), sent: true);
        await ExecuteAsync("ANALYZE outbox");
        await InsertAsync(20_000, BurstDue);

        await using var claim = await BeginAsync();
        await using (var sortOff = new NpgsqlCommand("SET LOCAL enable_sort = off", claim.Connection, claim.Transaction))
        {
            await sortOff.ExecuteNonQueryAsync(Ct);
        }

        await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) " + OutboxClaims.ClaimSql, claim.Connection, claim.Transaction);
        explain.Parameters.AddWithValue("now", Now);
        explain.Parameters.AddWithValue("oldest", 50);
        explain.Parameters.AddWithValue("newest", 50);
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync(Ct))
        {
            while (await reader.ReadAsync(Ct))
            {
                plan.Add(reader.GetString(0).Trim());
            }
        }

        var text = string.Join('\n', plan);
        Assert.Contains(plan, line => line.StartsWith("->  Index Scan using outbox_pending on outbox ", StringComparison.Ordinal) && line.EndsWith("(actual rows=50 loops=1)", StringComparison.Ordinal));
        Assert.Contains(plan, line => line.StartsWith("->  Index Scan Backward using outbox_pending on outbox ", StringComparison.Ordinal) && line.EndsWith("(actual rows=50 loops=1)", StringComparison.Ordinal));
        Assert.DoesNotContain("Sort", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(100, 0.5, 0, 50)]
    [InlineData(100, 0.5, 7, 50)]
    [InlineData(100, 0.0, 3, 0)]
    [InlineData(1, 0.5, 0, 0)]
    [InlineData(1, 0.5, 1, 1)]
    [InlineData(1, 0.5, 2, 0)]
    [InlineData(3, 0.5, 0, 1)]
    [InlineData(3, 0.5, 1, 2)]
    [InlineData(5000, 0.9, 11, 4500)]
    public void Split_GivesTheNewestEndItsShare_RoundedAlternately(int batchSize, double share, long pass, int newest)
    {
        Assert.Equal((batchSize - newest, newest), OutboxClaims.Split(batchSize, share, pass));
    }

    [Fact]
    public void Split_OverManyPasses_AlwaysLeavesTheOldestEndItsShare()
    {
        var oldest = Enumerable.Range(0, 1_000).Sum(pass => OutboxClaims.Split(1, 0.9, pass).Oldest);

        Assert.Equal(100, oldest);
    }

    /// <summary>One pass of the relay without the broker: claims, marks the rows sent and commits; returns their ids in claim order.</summary>
    private async Task<List<long>> ClaimAndMarkSentAsync(int batchSize, double newestShare, long pass)
    {
        await using var claim = await BeginAsync();
        var (oldest, newest) = OutboxClaims.Split(batchSize, newestShare, pass);
        var rows = await OutboxClaims.ClaimAsync(claim.Transaction, oldest, newest, Now, Ct);
        if (rows.Count > 0)
        {
            await OutboxClaims.MarkSentAsync(claim.Transaction, [.. rows.Select(r => r.Id)], [.. rows.Select(r => r.CommandId)], Now, Ct);
        }

        await claim.Transaction.CommitAsync(Ct);
        return [.. rows.Select(r => r.Id)];
    }

    /// <summary>Inserts <paramref name="count"/> pending (or sent) command rows due at <paramref name="due"/>; their ids in due order.</summary>
    private async Task<List<long>> InsertAsync(int count, DateTimeOffset due, bool sent = false)
    {
        await using var insert = DataSource.CreateCommand(
            """
            INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at, sent_at)
            SELECT gen_random_uuid(), 'notifications.send', 'Messaging.Contracts.Notifications.SendNotification',
                   jsonb_build_object('body', repeat('x', 200)), '{}', @due, @due, CASE WHEN @sent THEN @due END
            FROM generate_series(1, @count)
            RETURNING id
            """);
        insert.Parameters.AddWithValue("due", due);
        insert.Parameters.AddWithValue("sent", sent);
        insert.Parameters.AddWithValue("count", count);
        var ids = new List<long>(count);
        await using var reader = await insert.ExecuteReaderAsync(Ct);
        while (await reader.ReadAsync(Ct))
        {
            ids.Add(reader.GetInt64(0));
        }

        ids.Sort();
        return ids;
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync(Ct);
    }

    private async Task<OpenTransaction> BeginAsync()
    {
        var connection = await DataSource.OpenConnectionAsync(Ct);
        return new OpenTransaction(connection, await connection.BeginTransactionAsync(Ct));
    }

    private sealed record OpenTransaction(NpgsqlConnection Connection, NpgsqlTransaction Transaction) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Transaction.DisposeAsync();
            await Connection.DisposeAsync();
        }
    }
}

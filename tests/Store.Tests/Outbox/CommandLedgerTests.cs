using Messaging.Contracts.Commands;
using Messaging.Store.Outbox;
using Npgsql;

namespace Messaging.Store.Tests.Outbox;

/// <summary>The status transitions of <see cref="CommandLedger"/> on a real PostgreSQL database: above all, that a terminal status is kept.</summary>
public sealed partial class CommandLedgerTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private readonly MigratedDatabase _database = new();

    private NpgsqlDataSource DataSource => _database.DataSource;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => _database.InitializeAsync();

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task ASecondCompletion_ReturnsFalse_AndLeavesTheFirstOutcome()
    {
        var id = await AcceptAsync();

        var first = await CommandLedger.CompleteAsync(DataSource, id, succeeded: true, """{"charge":"ch_1"}""", null, null, Now, Ct);
        var second = await CommandLedger.CompleteAsync(DataSource, id, succeeded: false, null, "card_declined", "declined", Now.AddSeconds(1), Ct);

        Assert.True(first);
        Assert.False(second);
        var row = await ReadAsync(id);
        Assert.Equal(("Succeeded", """{"charge": "ch_1"}""", null, null), (row.Status, row.Result, row.ErrorCode, row.ErrorMessage));
        Assert.Equal(Now, row.UpdatedAt);
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM inbox WHERE command_id = '{id}'"));
    }

    [Fact]
    public async Task ARefusal_StoresTheError_ClearsTheResult_AndWritesNoInboxRow()
    {
        var id = await AcceptAsync();
        await InTransactionAsync(tx => CommandLedger.SetResultAsync(tx, id, """{"fallback":true}""", Ct));

        Assert.True(await CommandLedger.CompleteAsync(DataSource, id, succeeded: false, null, "card_declined", "declined", Now, Ct));

        var row = await ReadAsync(id);
        Assert.Equal(("Failed", null, "card_declined", "declined"), (row.Status, row.Result, row.ErrorCode, row.ErrorMessage));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM inbox WHERE command_id = '{id}'"));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task ACompletedCommand_IsNeverExpiredStartedScheduledOrDeadLettered(bool succeeded)
    {
        var id = await AcceptAsync();
        Assert.True(await CommandLedger.CompleteAsync(DataSource, id, succeeded, succeeded ? "{}" : null,
            succeeded ? null : "card_declined", succeeded ? null : "declined", Now, Ct));
        var completed = await ReadAsync(id);

        Assert.False(await CommandLedger.ExpireAsync(DataSource, id, "deadline_exceeded", "too late", Now.AddSeconds(1), Ct));
        Assert.Null(await CommandLedger.StartAttemptAsync(DataSource, id, 2, Now.AddSeconds(1), Ct));
        Assert.False(await InTransactionAsync(tx => CommandLedger.ScheduleAsync(tx, id, "tenant-a", 1, "provider_unavailable", "later", failed: true,
            Now.AddSeconds(1), Ct)));
        Assert.False(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, id, "a late duplicate failed", Now.AddSeconds(1), Ct)));

        Assert.Equal(completed, await ReadAsync(id));
    }

    [Fact]
    public async Task AnExpiredCommand_KeepsItsStatus_AgainstACompletionOrADeadLetter()
    {
        var id = await AcceptAsync();
        Assert.True(await CommandLedger.ExpireAsync(DataSource, id, "deadline_exceeded", "too late", Now, Ct));

        Assert.False(await CommandLedger.CompleteAsync(DataSource, id, succeeded: true, "{}", null, null, Now.AddSeconds(1), Ct));
        Assert.False(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, id, "poison", Now.AddSeconds(1), Ct)));

        var row = await ReadAsync(id);
        Assert.Equal(("Expired", "deadline_exceeded", "too late"), (row.Status, row.ErrorCode, row.ErrorMessage));
        Assert.Equal(0L, await ScalarAsync<long>($"SELECT count(*) FROM inbox WHERE command_id = '{id}'"));
    }

    [Fact]
    public async Task ADeadLetteredCommand_TakesALaterReason_KeepsAFallbacksResult_AndCannotBeCompleted()
    {
        var id = await AcceptAsync();
        Assert.True(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, id, "retries exhausted", Now, Ct)));
        await InTransactionAsync(tx => CommandLedger.SetResultAsync(tx, id, """{"fallback":true}""", Ct));

        Assert.True(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, id, "delivery limit", Now.AddSeconds(1), Ct)));
        Assert.False(await CommandLedger.CompleteAsync(DataSource, id, succeeded: true, "{}", null, null, Now.AddSeconds(2), Ct));
        Assert.False(await CommandLedger.ExpireAsync(DataSource, id, "deadline_exceeded", "too late", Now.AddSeconds(2), Ct));

        var row = await ReadAsync(id);
        Assert.Equal(("DeadLettered", """{"fallback": true}""", "dead_lettered", "delivery limit"), (row.Status, row.Result, row.ErrorCode, row.ErrorMessage));
        Assert.Equal(Now.AddSeconds(1), row.UpdatedAt);
    }

    [Fact]
    public async Task ARedrive_ReturnsOnlyADeadLetteredCommandToAccepted_WithItsFreshDeadline()
    {
        var deadLettered = await AcceptAsync();
        var succeeded = await AcceptAsync();
        Assert.True(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, deadLettered, "retries exhausted", Now, Ct)));
        Assert.True(await CommandLedger.CompleteAsync(DataSource, succeeded, succeeded: true, "{}", null, null, Now, Ct));

        await using (var connection = await DataSource.OpenConnectionAsync(Ct))
        {
            await using var batch = new NpgsqlBatch(connection);
            CommandLedger.AddRedrive(batch, deadLettered, Now.AddHours(3), Now.AddMinutes(1));
            CommandLedger.AddRedrive(batch, succeeded, Now.AddHours(3), Now.AddMinutes(1));
            await batch.ExecuteNonQueryAsync(Ct);
        }

        var redriven = await ReadAsync(deadLettered);
        Assert.Equal(("Accepted", 0, null, null), (redriven.Status, redriven.Attempts, redriven.ErrorCode, redriven.ErrorMessage));
        Assert.Equal(Now.AddHours(3).UtcDateTime, await ScalarAsync<DateTime>($"SELECT deadline FROM commands WHERE id = '{deadLettered}'"));
        Assert.Equal("Succeeded", (await ReadAsync(succeeded)).Status);
        Assert.Equal(Now.AddMinutes(5).UtcDateTime, await ScalarAsync<DateTime>($"SELECT deadline FROM commands WHERE id = '{succeeded}'"));
    }

    [Fact]
    public async Task CancelAndAWorkersClaim_Racing_NeverBothApply()
    {
        // Many rounds of the two conditional updates at once, on fresh commands (Accepted, and a Scheduled retry whose
        // next attempt a worker claims): exactly one applies each time, and the row says which.
        var (cancels, starts) = (0, 0);
        for (var round = 0; round < 200; round++)
        {
            var id = await AcceptAsync();
            var attempt = 1;
            if (round % 2 == 1)
            {
                Assert.True(await InTransactionAsync(tx => CommandLedger.ScheduleAsync(tx, id, "tenant-a", 1, "provider_unavailable", "retry", failed: true, Now, Ct)));
                attempt = 2;
            }

            using var start = new Barrier(2);
            var cancel = Task.Run(async () =>
            {
                start.SignalAndWait(Ct);
                return await CommandLedger.CancelAsync(DataSource, id, "tenant-a", Now, Ct);
            }, Ct);
            var claim = Task.Run(async () =>
            {
                start.SignalAndWait(Ct);
                return await CommandLedger.StartAttemptAsync(DataSource, id, attempt, Now, Ct);
            }, Ct);
            var (cancelled, claimed) = (await cancel, await claim);

            Assert.True(cancelled ^ claimed is not null, $"round {round}: cancelled {cancelled}, claimed {claimed}");
            var row = await ReadAsync(id);
            Assert.Equal(cancelled ? "Cancelled" : "Processing", row.Status);
            Assert.Equal(cancelled ? attempt - 1 : attempt, row.Attempts);
            (cancels, starts) = cancelled ? (cancels + 1, starts) : (cancels, starts + 1);
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"cancel won {cancels} times, the worker's claim {starts} times");
    }

    [Theory]
    [InlineData("Processing")]
    [InlineData("Succeeded")]
    [InlineData("DeadLettered")]
    [InlineData("Expired")]
    public async Task Cancel_OfACommandAnAttemptStartedOrThatEnded_ChangesNothing(string status)
    {
        var id = await AcceptAsync();
        await ScalarAsync<int>($"UPDATE commands SET status = '{status}' WHERE id = '{id}' RETURNING 1");

        Assert.False(await CommandLedger.CancelAsync(DataSource, id, "tenant-a", Now.AddSeconds(1), Ct));
        Assert.Equal(status, (await ReadAsync(id)).Status);
    }

    [Fact]
    public async Task Cancel_OfAnotherTenantsCommand_ChangesNothing_AndACancelledCommandIsNeverStarted()
    {
        var id = await AcceptAsync();

        Assert.False(await CommandLedger.CancelAsync(DataSource, id, "tenant-b", Now, Ct));
        Assert.True(await CommandLedger.CancelAsync(DataSource, id, "tenant-a", Now, Ct));
        Assert.Null(await CommandLedger.StartAttemptAsync(DataSource, id, 1, Now, Ct));
        Assert.False(await CommandLedger.CompleteAsync(DataSource, id, succeeded: true, "{}", null, null, Now, Ct));
        Assert.False(await InTransactionAsync(tx => CommandLedger.DeadLetterAsync(tx, id, "late", Now, Ct)));
        var row = await ReadAsync(id);
        Assert.Equal(("Cancelled", "cancelled"), (row.Status, row.ErrorCode));
    }

    [Fact]
    public async Task ACommandWithANotBeforeAhead_IsInsertedScheduled_WithItsTime()
    {
        var id = Guid.CreateVersion7();
        var notBefore = Now.AddHours(2);

        await InTransactionAsync(tx => CommandLedger.InsertCommandAsync(tx,
            new CommandRow(id, "tenant-a", "client-a", "payments.charge", "{}", null, notBefore.AddMinutes(5), Now, notBefore), Ct));

        Assert.Equal("Scheduled", (await ReadAsync(id)).Status);
        Assert.Equal(notBefore.UtcDateTime, await ScalarAsync<DateTime>($"SELECT not_before FROM commands WHERE id = '{id}'"));
    }

    [Fact]
    public async Task ACallbackUrl_IsStoredWithTheCommand_ByTheSingleInsertAndByTheGroupCommit()
    {
        const string url = "https://hooks.example.com/done";
        var single = Guid.CreateVersion7();
        var grouped = Guid.CreateVersion7();
        var plain = Guid.CreateVersion7();
        await InTransactionAsync(tx => CommandLedger.InsertCommandAsync(tx,
            new CommandRow(single, "tenant-a", "client-a", "payments.charge", "{}", null, Now.AddMinutes(5), Now, CallbackUrl: url), Ct));
        var batch = new CommandLedger.AcceptBatch();
        batch.Fill([Accepted(grouped, url), Accepted(plain, null)], Now);
        await InTransactionAsync(async tx =>
        {
            batch.Command.Connection = tx.Connection;
            batch.Command.Transaction = tx;
            await batch.Command.ExecuteNonQueryAsync(Ct);
        });
        batch.Release();

        Assert.Equal(url, await ScalarAsync<string>($"SELECT callback_url FROM commands WHERE id = '{single}'"));
        Assert.Equal(url, await ScalarAsync<string>($"SELECT callback_url FROM commands WHERE id = '{grouped}'"));
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM commands WHERE id = '{plain}' AND callback_url IS NULL"));
    }

    [Fact]
    public async Task ACommandWithoutACallbackUrl_TakesItsClientsDefault_OnEveryInsert()
    {
        const string fallback = "https://hooks.example.com/default";
        const string own = "https://hooks.example.com/own";
        await InTransactionAsync(async tx =>
        {
            await using var insert = new NpgsqlCommand(
                """
                INSERT INTO clients (client_id, tenant, scopes, secret_hash, created_at, callback_url)
                VALUES ('client-with-default', 'tenant-a', '{commands}', 'x', now(), @url)
                """, tx.Connection, tx);
            insert.Parameters.AddWithValue("url", fallback);
            await insert.ExecuteNonQueryAsync(Ct);
        });
        var (single, singleOwn, grouped, groupedOwn) = (Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7(), Guid.CreateVersion7());
        await InTransactionAsync(async tx =>
        {
            await CommandLedger.InsertCommandAsync(tx, new CommandRow(single, "tenant-a", "client-with-default", "payments.charge", "{}", null,
                Now.AddMinutes(5), Now), Ct);
            await CommandLedger.InsertCommandAsync(tx, new CommandRow(singleOwn, "tenant-a", "client-with-default", "payments.charge", "{}", null,
                Now.AddMinutes(5), Now, CallbackUrl: own), Ct);
        });
        var batch = new CommandLedger.AcceptBatch();
        batch.Fill([Accepted(grouped, null, "client-with-default"), Accepted(groupedOwn, own, "client-with-default")], Now);
        await InTransactionAsync(async tx =>
        {
            batch.Command.Connection = tx.Connection;
            batch.Command.Transaction = tx;
            await batch.Command.ExecuteNonQueryAsync(Ct);
        });
        batch.Release();

        Assert.Equal(fallback, await ScalarAsync<string>($"SELECT callback_url FROM commands WHERE id = '{single}'"));
        Assert.Equal(own, await ScalarAsync<string>($"SELECT callback_url FROM commands WHERE id = '{singleOwn}'"));
        Assert.Equal(fallback, await ScalarAsync<string>($"SELECT callback_url FROM commands WHERE id = '{grouped}'"));
        Assert.Equal(own, await ScalarAsync<string>($"SELECT callback_url FROM commands WHERE id = '{groupedOwn}'"));
    }

    private static BatchedAccept Accepted(Guid id, string? callbackUrl, string clientId = "client-a")
    {
        var row = new CommandRow(id, "tenant-a", clientId, "payments.charge", "{}", null, Now.AddMinutes(5), Now, CallbackUrl: callbackUrl);
        return new BatchedAccept(row, new OutboxMessage(id, "payments.charge", "Messaging.Contracts.Payments.ChargePayment", "{}",
            new Dictionary<string, string>(StringComparer.Ordinal), Now));
    }

    private sealed record BatchedAccept(CommandRow Row, OutboxMessage Message) : IBatchedAccept
    {
        public byte[]? RequestHash => null;

        public DateTimeOffset? KeyExpiresAt => null;

        public string? StoredResponse() => null;
    }

    private async Task<Guid> AcceptAsync()
    {
        var id = Guid.CreateVersion7();
        await InTransactionAsync(tx => CommandLedger.InsertCommandAsync(tx,
            new CommandRow(id, "tenant-a", "client-a", "payments.charge", "{}", null, Now.AddMinutes(5), Now), Ct));
        Assert.Equal(nameof(CommandStatus.Accepted), (await ReadAsync(id)).Status);
        return id;
    }

    private async Task InTransactionAsync(Func<NpgsqlTransaction, Task> write) =>
        await InTransactionAsync(async tx =>
        {
            await write(tx);
            return true;
        });

    private async Task<T> InTransactionAsync<T>(Func<NpgsqlTransaction, Task<T>> write)
    {
        await using var connection = await DataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);
        var result = await write(transaction);
        await transaction.CommitAsync(Ct);
        return result;
    }

    private async Task<StoredRow> ReadAsync(Guid id)
    {
        await using var command = DataSource.CreateCommand(
            "SELECT status, attempts, result::text, error_code, error_message, updated_at FROM commands WHERE id = @id");
        command.Parameters.AddWithValue("id", id);
        await using var reader = await command.ExecuteReaderAsync(Ct);
        Assert.True(await reader.ReadAsync(Ct));
        return new StoredRow(reader.GetString(0), reader.GetInt32(1), reader.IsDBNull(2) ? null : reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5));
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(Ct))!;
    }

    private sealed record StoredRow(string Status, int Attempts, string? Result, string? ErrorCode, string? ErrorMessage, DateTimeOffset UpdatedAt);
}

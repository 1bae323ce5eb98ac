using System.Diagnostics.Metrics;
using Messaging.Contracts.Commands;
using Messaging.Store.Outbox;
using Messaging.Store.Persistence;
using Messaging.Store.Telemetry;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Messaging.Store.Tests.Outbox;

/// <summary>The retention job on a real PostgreSQL database, with time driven by a FakeTimeProvider.</summary>
public sealed class OutboxCleanupTests : IAsyncLifetime
{
    private static readonly DateTimeOffset Now = new(2026, 3, 10, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    // Older than every retention.
    private static readonly DateTimeOffset Ancient = Now.AddYears(-2);

    // The defaults: 30 days for commands and redriven dead letters, 90 for audit records.
    private static readonly RetentionOptions Kept = new();

    // The index through which each table's batch finds the rows it deletes (a new table must name one here).
    private static readonly Dictionary<string, string> ReadIndexes = new(StringComparer.Ordinal)
    {
        ["outbox"] = "outbox_sent_at",
        ["inbox"] = "inbox_processed_at",
        ["commands"] = "commands_terminal_updated_at",
        ["dead_letters"] = "dead_letters_redriven_at",
        ["audit"] = "audit_at",
        ["idempotency_keys"] = "idempotency_keys_expires",
    };

    private static readonly string[] RetainedTables = ["commands", "dead_letters", "audit", "idempotency_keys"];

    // Per table: rows whose retention clock (updated_at, redriven_at, at, expires_at) reads @at minus 1..@count seconds,
    // and the key that names a row.
    private static readonly Dictionary<string, (string Insert, string Key)> Bulk = new(StringComparer.Ordinal)
    {
        ["commands"] = (
            """
            INSERT INTO commands (id, tenant, client_id, type, status, payload, created_at, updated_at)
            SELECT gen_random_uuid(), 'tenant-a', 'cli_test', 'payments.charge', 'Succeeded', '{}',
                   @at - make_interval(secs => n), @at - make_interval(secs => n)
            FROM generate_series(1, @count) AS n
            """, "id::text"),
        ["dead_letters"] = (
            """
            INSERT INTO dead_letters (command_id, tenant, type, body, headers, attempts, first_failure_at, last_failure_at,
                                      reason, source, created_at, redriven_at, redriven_by)
            SELECT gen_random_uuid(), 'tenant-a', 'payments.charge', '{}', '{}', 1, @at, @at, 'refused', 'worker',
                   @at - make_interval(secs => n), @at - make_interval(secs => n), 'cli_operator'
            FROM generate_series(1, @count) AS n
            """, "id::text"),
        ["audit"] = (
            """
            INSERT INTO audit (at, actor_client, action, target, outcome)
            SELECT @at - make_interval(secs => n), 'cli_operator', 'breaker.isolate', 'payments', 'succeeded'
            FROM generate_series(1, @count) AS n
            """, "id::text"),
        ["idempotency_keys"] = (
            """
            INSERT INTO idempotency_keys (tenant, key, request_hash, command_id, status_code, response_body, created_at, expires_at)
            SELECT 'tenant-a', @prefix || n, '\x00'::bytea, gen_random_uuid(), 202, '{}', @at - interval '1 day', @at - make_interval(secs => n)
            FROM generate_series(1, @count) AS n
            """, "key"),
    };
    private readonly ServicesFixture _services = new();
    private readonly FakeTimeProvider _time = new(Now);

    public ValueTask InitializeAsync() => _services.InitializeAsync();

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    [Fact]
    public async Task Clean_DeletesRowsSentBeforeTheCutoff_AndKeepsNewerAndUnsentRows()
    {
        using var host = await StartHostAsync(enabled: false);
        var old = await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        var recent = await InsertOutboxAsync(sentAt: Now.AddDays(-6), createdAt: Now.AddDays(-6));
        var unsentAncient = await InsertOutboxAsync(sentAt: null, createdAt: Now.AddDays(-30));
        var unsentNew = await InsertOutboxAsync(sentAt: null, createdAt: Now);

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.DeletedFrom("outbox"));
        Assert.DoesNotContain(old, await OutboxIdsAsync());
        Assert.Equal(new[] { recent, unsentAncient, unsentNew }.Order(), (await OutboxIdsAsync()).Order());
    }

    [Fact]
    public async Task Clean_WithMoreRowsThanBatchSize_DeletesThemAllInOnePass_AndCountsThem()
    {
        using var host = await StartHostAsync(enabled: false);
        using var cleaned = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), CommandTelemetry.MeterName, "messaging.outbox.cleaned");
        await InsertManyOutboxAsync(25, sentAt: Now.AddDays(-10));
        var kept = await InsertOutboxAsync(sentAt: Now.AddHours(-1), createdAt: Now.AddHours(-1));

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 10), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(25, result.DeletedFrom("outbox"));
        Assert.Equal([kept], await OutboxIdsAsync());
        var outboxBatches = cleaned.GetMeasurementSnapshot().Where(m => Equals(m.Tags["messaging.table"], "outbox")).ToList();
        Assert.Equal(25, outboxBatches.Sum(m => m.Value));
        Assert.Equal([10L, 10L, 5L], outboxBatches.Select(m => m.Value));
    }

    [Fact]
    public async Task Clean_DeletesInboxRowsOlderThanRetention_AndKeepsNewerOnes()
    {
        using var host = await StartHostAsync(enabled: false);
        using var cleaned = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), CommandTelemetry.MeterName, "messaging.outbox.cleaned");
        var old = await InsertInboxAsync(Now.AddDays(-8), commandStatus: CommandStatus.Succeeded);
        var oldWithoutCommand = await InsertInboxAsync(Now.AddDays(-9), commandStatus: null);
        var recent = await InsertInboxAsync(Now.AddDays(-1), commandStatus: CommandStatus.Succeeded);
        var oldButInFlight = await InsertInboxAsync(Now.AddDays(-8), commandStatus: CommandStatus.Processing);

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(2, result.DeletedFrom("inbox"));
        var remaining = await InboxIdsAsync();
        Assert.DoesNotContain(old, remaining);
        Assert.DoesNotContain(oldWithoutCommand, remaining);
        Assert.Equal(new[] { recent, oldButInFlight }.Order(), remaining.Order());
        Assert.Equal(2, cleaned.GetMeasurementSnapshot().Where(m => Equals(m.Tags["messaging.table"], "inbox")).Sum(m => m.Value));
    }

    [Fact]
    public async Task Clean_WhileAnotherProcessHoldsTheLock_DeletesNothing()
    {
        using var host = await StartHostAsync(enabled: false);
        var old = await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        foreach (var table in RetainedTables)
        {
            await InsertManyAsync(table, 1, Ancient);
        }

        await using var other = new NpgsqlConnection(_services.PostgresConnectionString);
        await other.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await other.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", other, transaction))
        {
            hold.Parameters.AddWithValue("key", OutboxCleanup.AdvisoryLockKey);
            await hold.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), Kept, TestContext.Current.CancellationToken);

        Assert.True(result.LockHeldElsewhere);
        Assert.Equal([old], await OutboxIdsAsync());
        foreach (var table in RetainedTables)
        {
            Assert.Single(await KeysAsync(table));
        }
    }

    [Fact]
    public async Task Clean_DeletesTerminalCommandsOlderThanRetention_AndKeepsYoungerAndUnfinishedOnes()
    {
        using var host = await StartHostAsync(enabled: false);
        var old = new Dictionary<CommandStatus, Guid>();
        foreach (var status in Enum.GetValues<CommandStatus>())
        {
            old[status] = await InsertCommandAsync(status, updatedAt: Now - Kept.Commands - TimeSpan.FromMinutes(1));
        }

        var recent = await InsertCommandAsync(CommandStatus.Succeeded, updatedAt: Now - Kept.Commands + TimeSpan.FromMinutes(1));

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), Kept, TestContext.Current.CancellationToken);

        var terminal = Enum.GetValues<CommandStatus>().Where(s => s.IsTerminal()).ToList();
        Assert.Equal(terminal.Count, result.DeletedFrom("commands"));
        var remaining = await KeysAsync("commands");
        Assert.Equal(
            Enum.GetValues<CommandStatus>().Where(s => !s.IsTerminal()).Select(s => old[s].ToString()).Append(recent.ToString()).Order(),
            remaining.Order());
    }

    [Fact]
    public async Task Clean_KeepsTheCommandOfAWaitingDeadLetter_WhateverItsAge()
    {
        using var host = await StartHostAsync(enabled: false);
        var waiting = await InsertCommandAsync(CommandStatus.DeadLettered, updatedAt: Ancient);
        await InsertDeadLetterAsync(waiting, redrivenAt: null);
        var redriven = await InsertCommandAsync(CommandStatus.DeadLettered, updatedAt: Ancient);
        await InsertDeadLetterAsync(redriven, redrivenAt: Now.AddDays(-1));
        var redrivenThenWaitingAgain = await InsertCommandAsync(CommandStatus.DeadLettered, updatedAt: Ancient);
        await InsertDeadLetterAsync(redrivenThenWaitingAgain, redrivenAt: Now.AddDays(-1));
        await InsertDeadLetterAsync(redrivenThenWaitingAgain, redrivenAt: null);

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.DeletedFrom("commands"));
        Assert.Equal(new[] { waiting.ToString(), redrivenThenWaitingAgain.ToString() }.Order(), (await KeysAsync("commands")).Order());
    }

    [Fact]
    public async Task Clean_DeletesDeadLettersRedrivenBeforeRetention_AndNeverWaitingOnes()
    {
        using var host = await StartHostAsync(enabled: false);
        var redrivenLongAgo = await InsertDeadLetterAsync(Guid.NewGuid(), redrivenAt: Now - Kept.DeadLetters - TimeSpan.FromMinutes(1));
        var redrivenRecently = await InsertDeadLetterAsync(Guid.NewGuid(), redrivenAt: Now - Kept.DeadLetters + TimeSpan.FromMinutes(1));
        var waitingForYears = await InsertDeadLetterAsync(Guid.NewGuid(), redrivenAt: null);

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(1, result.DeletedFrom("dead_letters"));
        var remaining = await KeysAsync("dead_letters");
        Assert.DoesNotContain(redrivenLongAgo, remaining);
        Assert.Equal(new[] { redrivenRecently, waitingForYears }.Order(), remaining.Order());
    }

    [Fact]
    public async Task Clean_DeletesAuditRecordsOlderThanRetention_AndKeepsYoungerOnes()
    {
        using var host = await StartHostAsync(enabled: false);
        await InsertManyAsync("audit", 3, Now - Kept.Audit);
        await InsertManyAsync("audit", 2, Now - Kept.Audit + TimeSpan.FromHours(1));

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(3, result.DeletedFrom("audit"));
        Assert.Equal(2, (await KeysAsync("audit")).Count);
    }

    [Fact]
    public async Task Clean_SweepsExpiredIdempotencyKeys_AndKeepsUnexpiredOnes()
    {
        using var host = await StartHostAsync(enabled: false);
        await InsertManyAsync("idempotency_keys", 4, Now); // expired 1 to 4 s ago
        await InsertManyAsync("idempotency_keys", 2, Now + TimeSpan.FromHours(1), keyPrefix: "live-");

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(4, result.DeletedFrom("idempotency_keys"));
        Assert.Equal(["live-1", "live-2"], (await KeysAsync("idempotency_keys")).Order());
    }

    [Theory]
    [InlineData("commands")]
    [InlineData("dead_letters")]
    [InlineData("audit")]
    [InlineData("idempotency_keys")]
    public async Task Clean_WithMoreRowsThanBatchSize_DeletesThemAllInOnePass_AndCountsThemPerTable(string table)
    {
        using var host = await StartHostAsync(enabled: false);
        using var cleaned = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), CommandTelemetry.MeterName, "messaging.outbox.cleaned");
        await InsertManyAsync(table, 25, Ancient);

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 10), Kept, TestContext.Current.CancellationToken);

        Assert.Equal(25, result.DeletedFrom(table));
        Assert.Empty(await KeysAsync(table));
        Assert.Equal([10L, 10L, 5L], cleaned.GetMeasurementSnapshot().Where(m => Equals(m.Tags["messaging.table"], table)).Select(m => m.Value));
        Assert.All(cleaned.GetMeasurementSnapshot(), m => Assert.Equal(table, m.Tags["messaging.table"]));
    }

    /// <summary>Every table a pass deletes from.</summary>
    public static TheoryData<string> AllTables => [.. OutboxCleanup.Tables];

    [Theory]
    [MemberData(nameof(AllTables))]
    public async Task DeleteStatement_ReadsThroughIndexes_NeverBySequentialScan(string table)
    {
        await MigrateAsync();
        await using var connection = await OpenAsync();
        await using (var noSeqScan = new NpgsqlCommand("SET enable_seqscan = off", connection))
        {
            await noSeqScan.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        // With sequential scans priced out, a table the statement cannot read through an index still shows one; a whole
        // other index would do no better, so the plan must name the one built for this statement.
        await using var explain = OutboxCleanup.DeleteStatement(table, Now, batchSize: 1000);
        explain.CommandText = "EXPLAIN " + explain.CommandText;
        explain.Connection = connection;
        var plan = new List<string>();
        await using (var reader = await explain.ExecuteReaderAsync(TestContext.Current.CancellationToken))
        {
            while (await reader.ReadAsync(TestContext.Current.CancellationToken))
            {
                plan.Add(reader.GetString(0));
            }
        }

        var text = string.Join('\n', plan);
        Assert.DoesNotContain("Seq Scan", text, StringComparison.Ordinal);
        Assert.Matches($@"Index (Only )?Scan (using|on) {ReadIndexes[table]}\b", text);
    }

    [Fact]
    public async Task TerminalCommandsIndex_ListsEveryTerminalStatus()
    {
        await MigrateAsync();
        await using var connection = await OpenAsync();
        await using var select = new NpgsqlCommand("SELECT indexdef FROM pg_indexes WHERE indexname = 'commands_terminal_updated_at'", connection);
        var definition = (string)(await select.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;

        Assert.All(Enum.GetValues<CommandStatus>().Where(s => s.IsTerminal()), s => Assert.Contains($"'{s}'", definition, StringComparison.Ordinal));
        Assert.All(Enum.GetValues<CommandStatus>().Where(s => !s.IsTerminal()), s => Assert.DoesNotContain($"'{s}'", definition, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cleanup_WhenEnabled_RunsAtStartAndAgainEveryInterval()
    {
        await MigrateAsync();
        await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        using var host = await StartHostAsync(enabled: true);

        await WaitUntilAsync(async () => (await OutboxIdsAsync()).Count == 0, advance: false);
        await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        await InsertInboxAsync(Now.AddDays(-8), commandStatus: CommandStatus.Succeeded);

        // Each poll moves the fake clock one interval on, so the next pass becomes due whenever the loop waits.
        await WaitUntilAsync(async () => (await OutboxIdsAsync()).Count == 0 && (await InboxIdsAsync()).Count == 0, advance: true);
        Assert.False(Cleanup(host).ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task Cleanup_WhenDisabled_DeletesNothing()
    {
        await MigrateAsync();
        var old = await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        var oldInbox = await InsertInboxAsync(Now.AddDays(-8), commandStatus: CommandStatus.Succeeded);
        using var host = await StartHostAsync(enabled: false);

        // Disabled, the service returns at once instead of looping (a running loop would time out here).
        await Cleanup(host).ExecuteTask!.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        _time.Advance(Interval * 3);

        Assert.Equal([old], await OutboxIdsAsync());
        Assert.Equal([oldInbox], await InboxIdsAsync());
    }

    [Fact]
    public async Task Cleanup_WithPostgresDown_LogsTheFailureType_AndRetriesNextInterval()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Logging.AddFakeLogging();
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.Services.AddSingleton(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Password=none;Database=none;Timeout=2"));
        builder.AddOutboxCleanup();
        using var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        var logs = host.Services.GetFakeLogCollector();

        await WaitUntilAsync(() => Task.FromResult(Failures(logs).Count >= 1), advance: false);
        await WaitUntilAsync(() => Task.FromResult(Failures(logs).Count >= 2), advance: true);

        Assert.All(Failures(logs), r => Assert.Equal(LogLevel.Warning, r.Level));
        Assert.Contains("NpgsqlException", Failures(logs)[0].Message, StringComparison.Ordinal);
        Assert.DoesNotContain("127.0.0.1", Failures(logs)[0].Message, StringComparison.Ordinal);
        Assert.False(Cleanup(host).ExecuteTask!.IsCompleted);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("Outbox:Cleanup:BatchSize", "0")]
    [InlineData("Outbox:Cleanup:Retention", "00:00:00")]
    [InlineData("Outbox:Cleanup:Interval", "00:00:00")]
    [InlineData("Retention:Commands", "12:00:00")]
    [InlineData("Retention:DeadLetters", "00:00:00")]
    [InlineData("Retention:Audit", "3651.00:00:00")]
    public async Task InvalidOptions_FailAtStart_NamingTheKey(string key, string value)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration[key] = value;
        builder.Services.AddSingleton(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Database=none"));
        builder.AddOutboxCleanup();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(key.Split(':')[^1], error.Message, StringComparison.Ordinal);
    }

    private static List<FakeLogRecord> Failures(FakeLogCollector logs) =>
        [.. logs.GetSnapshot().Where(r => r.Id.Name == "OutboxCleanupFailed")];

    private static OutboxCleanup Cleanup(IHost host) => host.Services.GetRequiredService<OutboxCleanup>();

    private static OutboxCleanupOptions Options(int batchSize) => new() { BatchSize = batchSize, Retention = TimeSpan.FromDays(7), Interval = Interval };

    private async Task<IHost> StartHostAsync(bool enabled)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        var config = _services.HostConfiguration();
        config["Outbox:Cleanup:Enabled"] = enabled ? "true" : "false";
        config["Outbox:Cleanup:Interval"] = Interval.ToString();
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.AddMessagingPostgres();
        builder.AddOutboxCleanup();
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    private async Task MigrateAsync()
    {
        await using var dataSource = NpgsqlDataSource.Create(_services.PostgresConnectionString);
        await new SchemaMigrator(dataSource, NullLogger<SchemaMigrator>.Instance).MigrateAsync(TestContext.Current.CancellationToken);
    }

    private async Task<long> InsertOutboxAsync(DateTimeOffset? sentAt, DateTimeOffset createdAt)
    {
        await using var connection = await OpenAsync();
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at, sent_at)
            VALUES (@command_id, 'payments.charge', 'Messaging.Contracts.Payments.ChargePayment', '{}', '{}', @created_at, @created_at, @sent_at)
            RETURNING id
            """, connection);
        insert.Parameters.AddWithValue("command_id", Guid.NewGuid());
        insert.Parameters.AddWithValue("created_at", createdAt);
        insert.Parameters.Add(new NpgsqlParameter("sent_at", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)sentAt ?? DBNull.Value });
        return (long)(await insert.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private async Task InsertManyOutboxAsync(int count, DateTimeOffset sentAt)
    {
        await using var connection = await OpenAsync();
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO outbox (command_id, destination, message_type, body, headers, not_before, created_at, sent_at)
            SELECT gen_random_uuid(), 'payments.charge', 'Messaging.Contracts.Payments.ChargePayment', '{}', '{}',
                   @sent_at, @sent_at, @sent_at - make_interval(secs => n)
            FROM generate_series(1, @count) AS n
            """, connection);
        insert.Parameters.AddWithValue("sent_at", sentAt);
        insert.Parameters.AddWithValue("count", count);
        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private async Task InsertManyAsync(string table, int count, DateTimeOffset at, string keyPrefix = "key-")
    {
        await using var connection = await OpenAsync();
        await using var insert = new NpgsqlCommand(Bulk[table].Insert, connection);
        insert.Parameters.AddWithValue("at", at);
        insert.Parameters.AddWithValue("count", count);
        if (table == "idempotency_keys")
        {
            insert.Parameters.AddWithValue("prefix", keyPrefix);
        }

        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    private async Task<Guid> InsertCommandAsync(CommandStatus status, DateTimeOffset updatedAt)
    {
        var id = Guid.NewGuid();
        await using var connection = await OpenAsync();
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO commands (id, tenant, client_id, type, status, payload, created_at, updated_at)
            VALUES (@id, 'tenant-a', 'cli_test', 'payments.charge', @status, '{}', @at - interval '1 hour', @at)
            """, connection);
        insert.Parameters.AddWithValue("id", id);
        insert.Parameters.AddWithValue("status", status.ToString());
        insert.Parameters.AddWithValue("at", updatedAt);
        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return id;
    }

    // Dead-lettered long ago; waiting when redrivenAt is null.
    private async Task<string> InsertDeadLetterAsync(Guid commandId, DateTimeOffset? redrivenAt)
    {
        await using var connection = await OpenAsync();
        await using var insert = new NpgsqlCommand(
            """
            INSERT INTO dead_letters (command_id, tenant, type, body, headers, attempts, first_failure_at, last_failure_at,
                                      reason, source, created_at, redriven_at, redriven_by)
            VALUES (@command_id, 'tenant-a', 'payments.charge', '{}', '{}', 1, @created_at, @created_at, 'refused', 'worker',
                    @created_at, @redriven_at, CASE WHEN @redriven_at IS NULL THEN NULL ELSE 'cli_operator' END)
            RETURNING id::text
            """, connection);
        insert.Parameters.AddWithValue("command_id", commandId);
        insert.Parameters.AddWithValue("created_at", Ancient);
        insert.Parameters.Add(new NpgsqlParameter("redriven_at", NpgsqlTypes.NpgsqlDbType.TimestampTz) { Value = (object?)redrivenAt ?? DBNull.Value });
        return (string)(await insert.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private async Task<Guid> InsertInboxAsync(DateTimeOffset processedAt, CommandStatus? commandStatus)
    {
        var commandId = commandStatus is { } status ? await InsertCommandAsync(status, updatedAt: processedAt) : Guid.NewGuid();
        await using var connection = await OpenAsync();
        await using var insert = new NpgsqlCommand(
            "INSERT INTO inbox (command_id, consumer, processed_at) VALUES (@id, 'payments', @processed_at)", connection);
        insert.Parameters.AddWithValue("id", commandId);
        insert.Parameters.AddWithValue("processed_at", processedAt);
        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return commandId;
    }

    private Task<List<long>> OutboxIdsAsync() => ColumnAsync<long>("SELECT id FROM outbox ORDER BY id");

    private Task<List<Guid>> InboxIdsAsync() => ColumnAsync<Guid>("SELECT command_id FROM inbox");

    private Task<List<string>> KeysAsync(string table) => ColumnAsync<string>($"SELECT {Bulk[table].Key} FROM {table}");

    private async Task<List<T>> ColumnAsync<T>(string sql)
    {
        await using var connection = await OpenAsync();
        await using var select = new NpgsqlCommand(sql, connection);
        var values = new List<T>();
        await using var reader = await select.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            values.Add(reader.GetFieldValue<T>(0));
        }

        return values;
    }

    private async Task<NpgsqlConnection> OpenAsync()
    {
        var connection = new NpgsqlConnection(_services.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        return connection;
    }

    // Waits (in real time, bounded) for the background loop's effect; with advance, the fake clock moves one
    // interval per poll so a pass that is waiting becomes due.
    private async Task WaitUntilAsync(Func<Task<bool>> condition, bool advance)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met within 30 s");
            if (advance)
            {
                _time.Advance(Interval);
            }

            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }
}

using System.Diagnostics.Metrics;
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

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), TestContext.Current.CancellationToken);

        Assert.Equal(1, result.OutboxDeleted);
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

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 10), TestContext.Current.CancellationToken);

        Assert.Equal(25, result.OutboxDeleted);
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
        var old = await InsertInboxAsync(Now.AddDays(-8), commandStatus: "Succeeded");
        var oldWithoutCommand = await InsertInboxAsync(Now.AddDays(-9), commandStatus: null);
        var recent = await InsertInboxAsync(Now.AddDays(-1), commandStatus: "Succeeded");
        var oldButInFlight = await InsertInboxAsync(Now.AddDays(-8), commandStatus: "Processing");

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1), TestContext.Current.CancellationToken);

        Assert.Equal(2, result.InboxDeleted);
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
        await using var other = new NpgsqlConnection(_services.PostgresConnectionString);
        await other.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await other.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var hold = new NpgsqlCommand("SELECT pg_advisory_xact_lock(@key)", other, transaction))
        {
            hold.Parameters.AddWithValue("key", OutboxCleanup.AdvisoryLockKey);
            await hold.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        var result = await Cleanup(host).CleanAsync(Options(batchSize: 1000), TestContext.Current.CancellationToken);

        Assert.True(result.LockHeldElsewhere);
        Assert.Equal([old], await OutboxIdsAsync());
    }

    [Fact]
    public async Task Cleanup_WhenEnabled_RunsAtStartAndAgainEveryInterval()
    {
        await MigrateAsync();
        await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        using var host = await StartHostAsync(enabled: true);

        await WaitUntilAsync(async () => (await OutboxIdsAsync()).Count == 0, advance: false);
        await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        await InsertInboxAsync(Now.AddDays(-8), commandStatus: "Succeeded");

        // Each poll moves the fake clock one interval on, so the next pass becomes due whenever the loop waits.
        await WaitUntilAsync(async () => (await OutboxIdsAsync()).Count == 0 && (await InboxIdsAsync()).Count == 0, advance: true);
        Assert.False(Cleanup(host).ExecuteTask!.IsCompleted);
    }

    [Fact]
    public async Task Cleanup_WhenDisabled_DeletesNothing()
    {
        await MigrateAsync();
        var old = await InsertOutboxAsync(sentAt: Now.AddDays(-8), createdAt: Now.AddDays(-8));
        var oldInbox = await InsertInboxAsync(Now.AddDays(-8), commandStatus: "Succeeded");
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
    [InlineData("BatchSize", "0")]
    [InlineData("Retention", "00:00:00")]
    [InlineData("Interval", "00:00:00")]
    public async Task InvalidOptions_FailAtStart_NamingTheKey(string key, string value)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Testing" });
        builder.Configuration[$"{OutboxCleanupOptions.SectionName}:{key}"] = value;
        builder.Services.AddSingleton(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Username=nobody;Database=none"));
        builder.AddOutboxCleanup();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(TestContext.Current.CancellationToken));

        Assert.Contains(key, error.Message, StringComparison.Ordinal);
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

    private async Task<Guid> InsertInboxAsync(DateTimeOffset processedAt, string? commandStatus)
    {
        var commandId = Guid.NewGuid();
        await using var connection = await OpenAsync();
        if (commandStatus is not null)
        {
            await using var command = new NpgsqlCommand(
                """
                INSERT INTO commands (id, tenant, client_id, type, status, payload, created_at, updated_at)
                VALUES (@id, 'tenant-a', 'cli_test', 'payments.charge', @status, '{}', @at, @at)
                """, connection);
            command.Parameters.AddWithValue("id", commandId);
            command.Parameters.AddWithValue("status", commandStatus);
            command.Parameters.AddWithValue("at", processedAt);
            await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await using var insert = new NpgsqlCommand(
            "INSERT INTO inbox (command_id, consumer, processed_at) VALUES (@id, 'payments', @processed_at)", connection);
        insert.Parameters.AddWithValue("id", commandId);
        insert.Parameters.AddWithValue("processed_at", processedAt);
        await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return commandId;
    }

    private async Task<List<long>> OutboxIdsAsync()
    {
        await using var connection = await OpenAsync();
        await using var select = new NpgsqlCommand("SELECT id FROM outbox ORDER BY id", connection);
        var ids = new List<long>();
        await using var reader = await select.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(reader.GetInt64(0));
        }

        return ids;
    }

    private async Task<List<Guid>> InboxIdsAsync()
    {
        await using var connection = await OpenAsync();
        await using var select = new NpgsqlCommand("SELECT command_id FROM inbox", connection);
        var ids = new List<Guid>();
        await using var reader = await select.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        while (await reader.ReadAsync(TestContext.Current.CancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
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

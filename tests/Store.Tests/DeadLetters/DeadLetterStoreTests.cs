using Messaging.Contracts;
using Messaging.Store.Audit;
using Messaging.Store.DeadLetters;
using Messaging.Store.Outbox;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Messaging.Store.Tests.DeadLetters;

public sealed class DeadLetterStoreTests : IAsyncLifetime
{
    private readonly MigratedDatabase _database = new();
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));
    private DeadLetterStore _store = null!;

    private NpgsqlDataSource DataSource => _database.DataSource;

    public async ValueTask InitializeAsync()
    {
        await _database.InitializeAsync();
        _store = new DeadLetterStore(DataSource, new OutboxWriter(_time), Messaging.CommandTypes.BuiltIn.BuiltInCommandTypes.Registry, _time);
    }

    public ValueTask DisposeAsync() => _database.DisposeAsync();

    [Fact]
    public async Task Record_StoresTheLetterWhole_AndMarksTheCommandDeadLettered()
    {
        var id = await InsertCommandAsync("tenant-a", "Processing");

        await RecordAsync(Letter(id, "tenant-a"));

        Assert.Equal("DeadLettered", await ScalarAsync<string>($"SELECT status FROM commands WHERE id = '{id}'"));
        Assert.Equal("provider unavailable after 5 attempts", await ScalarAsync<string>($"SELECT error_message FROM commands WHERE id = '{id}'"));
        Assert.Equal("{\"amount\":5}", await ScalarAsync<string>($"SELECT body FROM dead_letters WHERE command_id = '{id}'"));
        var summary = await _store.SummaryAsync(tenant: null, TestContext.Current.CancellationToken);
        Assert.Equal(1, summary.Total);
        Assert.Equal(1, summary.ByType["payments.charge"]);
    }

    [Fact]
    public async Task Record_NeverOverwritesASucceededCommand()
    {
        var id = await InsertCommandAsync("tenant-a", "Succeeded");

        await RecordAsync(Letter(id, "tenant-a"));

        Assert.Equal("Succeeded", await ScalarAsync<string>($"SELECT status FROM commands WHERE id = '{id}'"));
    }

    [Fact]
    public async Task Redrive_EnqueuesEachDeadLetterOnce_WithAttemptsStartingAgain_AndAudits()
    {
        var id = await InsertCommandAsync("tenant-a", "Processing");
        await RecordAsync(Letter(id, "tenant-a"));

        var first = await _store.RedriveAsync(new DeadLetterFilter(CommandId: id), Operator, 10, TimeSpan.Zero, TypeDefault, TestContext.Current.CancellationToken);
        var second = await _store.RedriveAsync(new DeadLetterFilter(CommandId: id), Operator, 10, TimeSpan.Zero, TypeDefault, TestContext.Current.CancellationToken);

        Assert.Equal(new RedriveResult(1, 0), first);
        Assert.Equal(new RedriveResult(0, 0), second);
        Assert.Equal(1L, await ScalarAsync<long>($"SELECT count(*) FROM outbox WHERE command_id = '{id}'"));
        Assert.Equal("1", await ScalarAsync<string>($"SELECT headers->>'{MessageHeaders.Attempt}' FROM outbox WHERE command_id = '{id}'"));
        Assert.Equal("Accepted", await ScalarAsync<string>($"SELECT status FROM commands WHERE id = '{id}'"));
        Assert.Equal("cli_ops", await ScalarAsync<string>($"SELECT redriven_by FROM dead_letters WHERE command_id = '{id}'"));
        // Each redrive is audited in its own transaction, the one that found nothing to redrive too.
        Assert.Equal(2L, await ScalarAsync<long>(
            $"SELECT count(*) FROM audit WHERE actor_client = 'cli_ops' AND actor_tenant = 'operators' AND action = 'command.redrive' AND target = '{id}'"));
        Assert.Equal("0", await ScalarAsync<string>($"SELECT detail->>'redriven' FROM audit WHERE target = '{id}' ORDER BY id DESC LIMIT 1"));
    }

    [Fact]
    public async Task Redrive_SendsTheCommandWithItsOwnHeadersOnly_NamingItsTenantAndType()
    {
        var id = await InsertCommandAsync("tenant-a", "Processing");
        var headers = new Dictionary<string, string>
        {
            [MessageHeaders.Client] = "client-1",
            [MessageHeaders.Attempt] = "5",
            ["x-death"] = "[{\"queue\":\"payments.charge\",\"count\":1}]",
            ["MT-Fault-Message"] = "boom",
        };
        await RecordAsync(Letter(id, "tenant-a") with { Headers = headers });

        await _store.RedriveAsync(new DeadLetterFilter(CommandId: id), Operator, 10, TimeSpan.Zero, TypeDefault, TestContext.Current.CancellationToken);

        var sent = await ScalarAsync<string>($"SELECT headers::text FROM outbox WHERE command_id = '{id}'");
        var redriven = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(sent)!;
        Assert.Equal(["Messaging-Attempt", "Messaging-Client", "Messaging-Command-Type", "Messaging-Deadline", "Messaging-Tenant"],
            redriven.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("1", redriven[MessageHeaders.Attempt]);
        Assert.Equal("tenant-a", redriven[MessageHeaders.Tenant]);
        Assert.Equal("payments.charge", redriven[MessageHeaders.CommandType]);
    }

    [Fact]
    public async Task Redrive_OfAnOldDeadLetterWhoseDeadlinePassed_GivesTheTypesDefaultDeadline_OnTheRowAndInTheMessage()
    {
        var old = _time.GetUtcNow().AddDays(-3);
        var id = await InsertCommandAsync("tenant-a", "Processing", deadline: old);
        await RecordAsync(Letter(id, "tenant-a") with
        {
            Headers = new Dictionary<string, string> { [MessageHeaders.Tenant] = "tenant-a", [MessageHeaders.Deadline] = CommandRows.HeaderInstant(old) },
        });

        var result = await _store.RedriveAsync(new DeadLetterFilter(CommandId: id), Operator, 1, TimeSpan.Zero,
            RedriveDeadline.TypeDefault(type => type == "payments.charge" ? TimeSpan.FromMinutes(90) : TimeSpan.FromDays(1)), TestContext.Current.CancellationToken);

        var fresh = _time.GetUtcNow().AddMinutes(90);
        Assert.Equal(new RedriveResult(1, 0), result);
        Assert.Equal(fresh.UtcDateTime, await ScalarAsync<DateTime>($"SELECT deadline FROM commands WHERE id = '{id}'"));
        Assert.Equal(CommandRows.HeaderInstant(fresh), await ScalarAsync<string>($"SELECT headers->>'{MessageHeaders.Deadline}' FROM outbox WHERE command_id = '{id}'"));
        // The audit record says the type's default applied (no deadline in the request).
        Assert.Equal(System.Text.Json.JsonValueKind.Null, (await AuditDetailAsync(id)).GetProperty("deadline").ValueKind);
    }

    [Fact]
    public async Task BulkRedrive_WithADeadline_GivesEveryCommandThatDeadline_AndWithout_EachItsDueTimePlusTheTypesDefault()
    {
        var given = new List<Guid>();
        var defaulted = new List<Guid>();
        foreach (var (tenant, ids) in new[] { ("tenant-given", given), ("tenant-given", given), ("tenant-default", defaulted), ("tenant-default", defaulted) })
        {
            var id = await InsertCommandAsync(tenant, "Processing", deadline: _time.GetUtcNow().AddHours(-1));
            ids.Add(id);
            await RecordAsync(Letter(id, tenant));
        }

        var deadline = _time.GetUtcNow().AddDays(2).AddTicks(1234567); // sub-microsecond ticks: stored as PostgreSQL keeps them
        await _store.RedriveAsync(new DeadLetterFilter(Tenant: "tenant-given"), Operator, 10, TimeSpan.FromSeconds(1),
            RedriveDeadline.At(deadline), TestContext.Current.CancellationToken);
        await _store.RedriveAsync(new DeadLetterFilter(Tenant: "tenant-default"), Operator, 10, TimeSpan.FromSeconds(1),
            RedriveDeadline.TypeDefault(_ => TimeSpan.FromHours(1)), TestContext.Current.CancellationToken);

        var stored = CommandRows.TruncateToMicroseconds(deadline);
        foreach (var id in given)
        {
            Assert.Equal(stored.UtcDateTime, await ScalarAsync<DateTime>($"SELECT deadline FROM commands WHERE id = '{id}'"));
            Assert.Equal(CommandRows.HeaderInstant(stored), await ScalarAsync<string>($"SELECT headers->>'{MessageHeaders.Deadline}' FROM outbox WHERE command_id = '{id}'"));
        }

        // Spaced by a second, each one's deadline counts from when it is due.
        Assert.Equal([_time.GetUtcNow().AddHours(1).UtcDateTime, _time.GetUtcNow().AddHours(1).AddSeconds(1).UtcDateTime],
            await Task.WhenAll(defaulted.Select(id => ScalarAsync<DateTime>($"SELECT deadline FROM commands WHERE id = '{id}'"))));
        Assert.Equal(0L, await ScalarAsync<long>(
            $"SELECT count(*) FROM outbox o JOIN commands c ON c.id = o.command_id WHERE (o.headers->>'{MessageHeaders.Deadline}')::timestamptz <> c.deadline"));
        Assert.Equal(stored, (await AuditDetailAsync(null, "tenant-given")).GetProperty("deadline").GetDateTimeOffset());
    }

    [Fact]
    public async Task BulkRedrive_FiltersByTypeAndTenant_AndSpacesTheRows()
    {
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            var id = await InsertCommandAsync("tenant-bulk", "Processing");
            ids.Add(id);
            await RecordAsync(Letter(id, "tenant-bulk"));
        }

        var other = await InsertCommandAsync("tenant-other", "Processing");
        await RecordAsync(Letter(other, "tenant-other"));

        var result = await _store.RedriveAsync(new DeadLetterFilter(Type: "payments.charge", Tenant: "tenant-bulk"), Operator, 100,
            TimeSpan.FromMilliseconds(100), TypeDefault, TestContext.Current.CancellationToken);

        Assert.Equal(3, result.Redriven);
        Assert.Equal("DeadLettered", await ScalarAsync<string>($"SELECT status FROM commands WHERE id = '{other}'"));
        Assert.Equal(0.2, await ScalarAsync<double>("SELECT extract(epoch FROM max(not_before) - min(not_before))::float8 FROM outbox"), 3);
    }

    [Fact]
    public async Task ARedriveAcrossTenants_IsAuditedForTheFleet_AndForEachTenantItTouched()
    {
        foreach (var tenant in new[] { "tenant-x", "tenant-x", "tenant-y" })
        {
            var id = await InsertCommandAsync(tenant, "Processing");
            await RecordAsync(Letter(id, tenant));
        }

        var result = await _store.RedriveAsync(new DeadLetterFilter(), Operator, 10, TimeSpan.Zero, TypeDefault, TestContext.Current.CancellationToken);

        Assert.Equal(3, result.Redriven);
        Assert.Equal("3", await ScalarAsync<string>("SELECT detail->>'redriven' FROM audit WHERE action = 'dead-letters.redrive' AND tenant IS NULL"));
        Assert.Equal("2", await ScalarAsync<string>("SELECT detail->>'redriven' FROM audit WHERE action = 'dead-letters.redrive' AND tenant = 'tenant-x'"));
        Assert.Equal("1", await ScalarAsync<string>("SELECT detail->>'redriven' FROM audit WHERE action = 'dead-letters.redrive' AND tenant = 'tenant-y'"));
    }

    [Fact]
    public async Task UnreadableLetters_AreKept_ButCannotBeRedriven()
    {
        await RecordAsync(new DeadLetter(null, null, null, "\u0001not json", new Dictionary<string, string>(), 1,
            _time.GetUtcNow(), _time.GetUtcNow(), "SerializationException", "unreadable body", "poison"));

        var result = await _store.RedriveAsync(new DeadLetterFilter(), Operator, 10, TimeSpan.Zero, TypeDefault, TestContext.Current.CancellationToken);

        Assert.Equal(new RedriveResult(0, 1), result);
        Assert.Single(await _store.ListAsync(new DeadLetterFilter(), includeRedriven: false, 10, TestContext.Current.CancellationToken));
    }

    private static readonly AuditActor Operator = new("cli_ops", "operators");

    private static readonly RedriveDeadline TypeDefault = RedriveDeadline.TypeDefault(_ => TimeSpan.FromHours(1));

    private async Task<System.Text.Json.JsonElement> AuditDetailAsync(Guid? commandId, string? tenant = null)
    {
        var detail = await ScalarAsync<string>(commandId is { } id
            ? $"SELECT detail::text FROM audit WHERE target = '{id}' ORDER BY id DESC LIMIT 1"
            : $"SELECT detail::text FROM audit WHERE tenant = '{tenant}' ORDER BY id DESC LIMIT 1");
        return System.Text.Json.JsonDocument.Parse(detail).RootElement.Clone();
    }

    private DeadLetter Letter(Guid id, string tenant) => new(id, tenant, "payments.charge", "{\"amount\":5}",
        new Dictionary<string, string> { [MessageHeaders.Tenant] = tenant, [MessageHeaders.Attempt] = "5" }, 5,
        _time.GetUtcNow().AddMinutes(-10), _time.GetUtcNow(), "HttpRequestException", "provider unavailable after 5 attempts", "retries-exhausted");

    private async Task RecordAsync(DeadLetter letter)
    {
        await using var connection = await DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await _store.RecordAsync(transaction, letter, TestContext.Current.CancellationToken);
        await transaction.CommitAsync(TestContext.Current.CancellationToken);
    }

    private async Task<Guid> InsertCommandAsync(string tenant, string status, DateTimeOffset? deadline = null)
    {
        var id = Guid.NewGuid();
        await using var command = DataSource.CreateCommand(
            "INSERT INTO commands (id, tenant, client_id, type, status, payload, deadline, created_at, updated_at) VALUES (@id, @tenant, 'cli', 'payments.charge', @status, '{}', @deadline, now(), now())");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("tenant", tenant);
        command.Parameters.AddWithValue("status", status);
        command.Parameters.AddWithValue("deadline", (object?)deadline ?? DBNull.Value);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        return id;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }
}

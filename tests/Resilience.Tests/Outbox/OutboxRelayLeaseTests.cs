using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using Messaging.Contracts.Payments;
using Messaging.Resilience.Bus;
using Messaging.Resilience.Outbox;
using Messaging.Resilience.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using RabbitMQ.Client;
using MessageHeaders = Messaging.Contracts.MessageHeaders;

namespace Messaging.Resilience.Tests.Outbox;

/// <summary>
/// The relay's leases, step by step (claim, publish, mark) on relays whose background loop is off, with the time of a
/// <see cref="FakeTimeProvider"/>: the leases are computed from it, so advancing it expires them.
/// </summary>
public sealed class OutboxRelayLeaseTests : IAsyncLifetime
{
    private static readonly TimeSpan Lease = TimeSpan.FromSeconds(30);
    private readonly ServicesFixture _services = new();
    private readonly FakeTimeProvider _time = new(DateTimeOffset.UtcNow);
    private IHost? _host;

    public ValueTask InitializeAsync() => _services.InitializeAsync();

    public async ValueTask DisposeAsync()
    {
        if (_host is not null)
        {
            await _host.StopAsync(CancellationToken.None);
            _host.Dispose();
        }

        await _services.DisposeAsync();
    }

    [Fact]
    public async Task Claim_LeasedRows_AreNotClaimedByASecondRelay_UntilTheLeaseExpires()
    {
        var (first, second) = await StartRelaysAsync();
        await WriteRowsAsync(3);
        var claimedAt = _time.GetUtcNow();

        var claimed = await first.ClaimAsync(10, Options, TestContext.Current.CancellationToken);
        _time.Advance(Lease - TimeSpan.FromSeconds(1));
        var claimedAgain = await second.ClaimAsync(10, Options, TestContext.Current.CancellationToken);

        Assert.Equal(3, claimed.Count);
        Assert.Empty(claimedAgain);
        Assert.All(claimed, row => Assert.Equal(Truncate(claimedAt + Lease), row.ClaimedUntil));
        Assert.Equal(3, await CountAsync("SELECT count(*) FROM outbox WHERE claimed_until IS NOT NULL AND sent_at IS NULL"));
    }

    [Fact]
    public async Task Claim_RowWhoseLeaseExpired_IsPublishedAgainByAnotherRelay()
    {
        var (first, second) = await StartRelaysAsync();
        var ids = await WriteRowsAsync(1);
        // The first relay leases the row and then stalls (or crashes) without publishing it.
        Assert.Single(await first.ClaimAsync(10, Options, TestContext.Current.CancellationToken));
        var whileLeased = await second.RelayBatchAsync(Options, TestContext.Current.CancellationToken);

        _time.Advance(Lease + TimeSpan.FromSeconds(1));
        var afterExpiry = await second.RelayBatchAsync(Options, TestContext.Current.CancellationToken);

        Assert.Equal(0, whileLeased.Claimed);
        Assert.Equal(new RelayPassResult(1, 1, 0), afterExpiry);
        var received = await ReceiveAsync(ChargePayment.TypeName, expected: 1);
        Assert.Equal(ids[0].ToString(), Assert.Single(received));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND command_id = '{ids[0]}'"));
        Assert.Equal(1, await CountAsync($"SELECT count(*) FROM commands WHERE status = 'Dispatched' AND id = '{ids[0]}'"));
    }

    [Fact]
    public async Task Publish_ConfirmedRows_AreMarkedSentOnlyByTheMarkThatFollowsTheirConfirms()
    {
        var (relay, _) = await StartRelaysAsync();
        var ids = await WriteRowsAsync(2);
        var rows = await relay.ClaimAsync(10, Options, TestContext.Current.CancellationToken);

        var batch = await relay.PublishAsync(rows, Options, window: null);
        var received = await ReceiveAsync(ChargePayment.TypeName, expected: 2);
        var unsentAfterConfirm = await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NULL AND claimed_until IS NOT NULL");
        var acceptedAfterConfirm = await CountAsync("SELECT count(*) FROM commands WHERE status = 'Accepted'");
        var marked = await relay.MarkAsync([batch], Options, TestContext.Current.CancellationToken);

        Assert.All(batch.Outcomes, Assert.Null);
        Assert.Equal(ids.Select(id => id.ToString()).Order(), received.Order());
        Assert.Equal(2, unsentAfterConfirm);
        Assert.Equal(2, acceptedAfterConfirm);
        Assert.Equal(new RelayPassResult(2, 2, 0), marked);
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND publish_attempts = 1"));
        Assert.Equal(2, await CountAsync("SELECT count(*) FROM commands WHERE status = 'Dispatched'"));
    }

    [Fact]
    public async Task Publish_Failed_ReleasesTheRowWithBackoff_AndItIsClaimedAgainWhenDue()
    {
        var (relay, _) = await StartRelaysAsync();
        await DeclareUnboundExchangeAsync();
        var ids = await WriteRowsAsync(1, destination: "unbound");
        var rows = await relay.ClaimAsync(10, Options, TestContext.Current.CancellationToken);
        var failedAt = Truncate(_time.GetUtcNow());

        var batch = await relay.PublishAsync(rows, Options, window: null);
        var marked = await relay.MarkAsync([batch], Options, TestContext.Current.CancellationToken);
        var beforeDue = await relay.ClaimAsync(10, Options, TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromMilliseconds(100));
        var afterDue = await relay.ClaimAsync(10, Options, TestContext.Current.CancellationToken);

        Assert.Equal("PublishReturnException", Assert.Single(batch.Outcomes));
        Assert.Equal(new RelayPassResult(1, 0, 1), marked);
        Assert.Empty(beforeDue);
        Assert.Equal(ids[0], Assert.Single(afterDue).CommandId);
        Assert.Equal(1, Assert.Single(afterDue).PublishAttempts);
        // The first retry waits 50–100 ms (100 ms with jitter).
        var notBefore = await ScalarAsync<DateTimeOffset>("SELECT not_before FROM outbox");
        Assert.InRange(notBefore, failedAt + TimeSpan.FromMilliseconds(50), failedAt + TimeSpan.FromMilliseconds(100));
        Assert.Equal(1, await CountAsync(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND publish_attempts = 1 AND last_error = 'PublishReturnException'"));
        Assert.Equal(1, await CountAsync("SELECT count(*) FROM commands WHERE status = 'Accepted'"));
    }

    [Fact]
    public async Task Mark_FailureOfARelayWhoseLeasePassedToAnother_LeavesTheOtherRelaysLease()
    {
        var (first, second) = await StartRelaysAsync();
        await DeclareUnboundExchangeAsync();
        await WriteRowsAsync(1, destination: "unbound");
        var stale = await first.ClaimAsync(10, Options, TestContext.Current.CancellationToken);
        _time.Advance(Lease + TimeSpan.FromSeconds(1));
        var current = await second.ClaimAsync(10, Options, TestContext.Current.CancellationToken);

        var staleBatch = await first.PublishAsync(stale, Options, window: null);
        await first.MarkAsync([staleBatch], Options, TestContext.Current.CancellationToken);

        Assert.Equal("PublishReturnException", Assert.Single(staleBatch.Outcomes));
        Assert.Equal(Assert.Single(current).ClaimedUntil, await ScalarAsync<DateTimeOffset>("SELECT claimed_until FROM outbox"));
        Assert.Equal(0, await CountAsync("SELECT count(*) FROM outbox WHERE publish_attempts > 0"));
    }

    [Fact]
    public void Options_LeaseShorterThanTwicePublishTimeout_AreInvalid()
    {
        var options = new OutboxRelayOptions { PublishTimeout = TimeSpan.FromSeconds(10), LeaseDuration = TimeSpan.FromSeconds(15) };

        var valid = Validator.TryValidateObject(options, new ValidationContext(options), [], validateAllProperties: true);

        Assert.False(valid);
        var defaults = new OutboxRelayOptions();
        Assert.True(Validator.TryValidateObject(defaults, new ValidationContext(defaults), [], validateAllProperties: true));
    }

    private OutboxRelayOptions Options => _host!.Services.GetRequiredService<IOptionsMonitor<OutboxRelayOptions>>().CurrentValue;

    private static DateTimeOffset Truncate(DateTimeOffset value) => value.AddTicks(-(value.Ticks % 10));

    // Two relays on the same table, as in two gateways; their background loops are off, so only the test drives them.
    private async Task<(OutboxRelay First, OutboxRelay Second)> StartRelaysAsync()
    {
        var builder = Host.CreateApplicationBuilder();
        var config = _services.HostConfiguration();
        config["Outbox:Relay:Enabled"] = "false";
        config["Outbox:Relay:LeaseDuration"] = Lease.ToString();
        config["Outbox:Relay:PublishTimeout"] = "00:00:05";
        builder.Configuration.AddInMemoryCollection(config);
        builder.Services.AddSingleton<TimeProvider>(_time);
        builder.AddMessagingPostgres();
        builder.AddMessagingBus();
        builder.AddOutboxRelay();
        _host = builder.Build();
        await _host.StartAsync(TestContext.Current.CancellationToken);
        var first = _host.Services.GetRequiredService<OutboxRelay>();
        var second = ActivatorUtilities.CreateInstance<OutboxRelay>(_host.Services, new OutboxSignal());
        return (first, second);
    }

    private async Task DeclareUnboundExchangeAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(_services.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        // No queue bound: the broker returns a mandatory publish to it.
        await channel.ExchangeDeclareAsync("unbound", ExchangeType.Fanout, durable: true, cancellationToken: TestContext.Current.CancellationToken);
    }

    private async Task<List<Guid>> WriteRowsAsync(int count, string destination = ChargePayment.TypeName)
    {
        var writer = _host!.Services.GetRequiredService<OutboxWriter>();
        await using var connection = new NpgsqlConnection(_services.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var id = Guid.NewGuid();
            ids.Add(id);
            await using (var insert = new NpgsqlCommand(
                """
                INSERT INTO commands (id, tenant, client_id, type, status, payload, created_at, updated_at)
                VALUES (@id, 'tenant-a', 'cli_test', 'payments.charge', 'Accepted', '{}', now(), now())
                """, connection, transaction))
            {
                insert.Parameters.AddWithValue("id", id);
                await insert.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            }

            var message = new ChargePayment { CommandId = id, Tenant = "tenant-a", Amount = 10m + i, Currency = "EUR", CustomerId = "cus_1" };
            await writer.EnqueueAsync(transaction, new OutboxMessage(id, destination, typeof(ChargePayment).FullName!,
                JsonSerializer.Serialize(message, JsonSerializerOptions.Web),
                new Dictionary<string, string> { [MessageHeaders.Tenant] = "tenant-a", [MessageHeaders.Attempt] = "1" },
                _time.GetUtcNow().AddSeconds(-1)), TestContext.Current.CancellationToken);
        }

        await transaction.CommitAsync(TestContext.Current.CancellationToken);
        return ids;
    }

    // The message ids on the queue (the relay declared it before publishing).
    private async Task<List<string>> ReceiveAsync(string queue, int expected)
    {
        var factory = new ConnectionFactory { Uri = new Uri(_services.RabbitMqConnectionString) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: TestContext.Current.CancellationToken);
        var received = new List<string>();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (received.Count < expected && DateTime.UtcNow < deadline)
        {
            var result = await channel.BasicGetAsync(queue, autoAck: true, TestContext.Current.CancellationToken);
            if (result is null)
            {
                await Task.Delay(50, TestContext.Current.CancellationToken);
                continue;
            }

            received.Add(result.BasicProperties.MessageId!);
        }

        return received;
    }

    private async Task<long> CountAsync(string sql) => await ScalarAsync<long>(sql);

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_services.PostgresConnectionString);
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await using var reader = await command.ExecuteReaderAsync(TestContext.Current.CancellationToken);
        await reader.ReadAsync(TestContext.Current.CancellationToken);
        return reader.GetFieldValue<T>(0);
    }
}

using Messaging.CommandTypes.BuiltIn;
using Messaging.Contracts.Payments;
using Messaging.Store.Outbox;
using Messaging.Testing.Harness;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace Messaging.Store.Tests.Outbox;

/// <summary>
/// The outbox as a library: a service's own table and a command in one transaction on the gateway's
/// database; the running gateway's relay delivers what commits, and the workers execute it (a system of
/// real processes of its own).
/// </summary>
public sealed class CommandOutboxTests(SystemFixture system) : IClassFixture<SystemFixture>
{
    private const string Tenant = "tenant-outbox-library";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Enqueue_InARolledBackTransaction_LeavesNeitherTheOrderNorTheCommand()
    {
        var (outbox, dataSource) = await CreateAsync();
        await using var _ = dataSource;
        var orderId = Guid.NewGuid();
        var command = Charge(orderId);

        await using (var connection = await dataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await InsertOrderAsync(transaction, orderId);
            await outbox.EnqueueAsync(transaction, command, new CommandEnqueueOptions { ClientId = "order-service", IdempotencyKey = $"order-{orderId}" }, Ct);
            await transaction.RollbackAsync(Ct);
        }

        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM test_orders WHERE id = @id", ("id", orderId)));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM commands WHERE id = @id", ("id", command.CommandId)));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM outbox WHERE command_id = @id", ("id", command.CommandId)));
        Assert.Equal(0, await system.CountAsync("SELECT count(*) FROM idempotency_keys WHERE tenant = @tenant AND key = @key",
            ("tenant", Tenant), ("key", $"order-{orderId}")));
    }

    [Fact]
    public async Task Enqueue_InACommittedTransaction_IsDeliveredAndExecutedOnce_AndShowsInTheStatusApi()
    {
        var (outbox, dataSource) = await CreateAsync();
        await using var _ = dataSource;
        var orderId = Guid.NewGuid();
        var command = Charge(orderId);
        var options = new CommandEnqueueOptions { ClientId = "order-service", IdempotencyKey = $"order-{orderId}", Timeout = TimeSpan.FromMinutes(10) };

        EnqueuedCommand enqueued;
        await using (var connection = await dataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await InsertOrderAsync(transaction, orderId);
            enqueued = await outbox.EnqueueAsync(transaction, command, options, Ct);
            await transaction.CommitAsync(Ct);
        }

        // The same key and command again (say, the service re-handles the order): the first command, nothing new.
        EnqueuedCommand again;
        await using (var connection = await dataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            again = await outbox.EnqueueAsync(transaction, Charge(orderId), options, Ct);
            await transaction.CommitAsync(Ct);
        }

        var token = await system.TokenAsync(Tenant);
        var final = await system.WaitForStatusAsync(token, command.CommandId.ToString(), "Succeeded", TimeSpan.FromSeconds(60));

        Assert.Equal(new EnqueuedCommand(command.CommandId, Replayed: false), enqueued);
        Assert.Equal(new EnqueuedCommand(command.CommandId, Replayed: true), again);
        Assert.Equal("Succeeded", final.GetProperty("status").GetString());
        Assert.Equal("payments.charge", final.GetProperty("type").GetString());
        Assert.Equal(1, final.GetProperty("attempts").GetInt32());
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM test_orders WHERE id = @id", ("id", orderId)));
        Assert.Equal(1, await system.CountAsync("SELECT count(*) FROM outbox WHERE command_id = @id AND sent_at IS NOT NULL", ("id", command.CommandId)));
        Assert.Equal(1, await system.Providers.EffectsForKeyAsync("payments", command.CommandId.ToString()));
    }

    [Fact]
    public async Task Enqueue_WithANotBefore_IsStoredScheduled_AndRunsWhenDue()
    {
        var (outbox, dataSource) = await CreateAsync();
        await using var _ = dataSource;
        var orderId = Guid.NewGuid();
        var command = Charge(orderId);
        var notBefore = DateTimeOffset.UtcNow.AddSeconds(2);
        var options = new CommandEnqueueOptions { ClientId = "order-service", NotBefore = notBefore, Timeout = TimeSpan.FromMinutes(10) };

        await using (var connection = await dataSource.OpenConnectionAsync(Ct))
        await using (var transaction = await connection.BeginTransactionAsync(Ct))
        {
            await outbox.EnqueueAsync(transaction, command, options, Ct);
            await transaction.CommitAsync(Ct);
        }

        var token = await system.TokenAsync(Tenant);
        Assert.Equal("Scheduled", await system.CommandStatusAsync(token, command.CommandId.ToString()));
        var final = await system.WaitForStatusAsync(token, command.CommandId.ToString(), "Succeeded", TimeSpan.FromSeconds(60));
        Assert.Equal("Succeeded", final.GetProperty("status").GetString());
        var stored = CommandRowsTime(notBefore);
        Assert.Equal(stored, final.GetProperty("notBefore").GetDateTimeOffset());
        Assert.Equal(stored + TimeSpan.FromMinutes(10), final.GetProperty("deadline").GetDateTimeOffset());
    }

    [Fact]
    public async Task Enqueue_WithANotBeforeMoreThan30DaysAhead_IsRefused()
    {
        var (outbox, dataSource) = await CreateAsync();
        await using var _ = dataSource;
        await using var connection = await dataSource.OpenConnectionAsync(Ct);
        await using var transaction = await connection.BeginTransactionAsync(Ct);

        await Assert.ThrowsAsync<ArgumentException>(() => outbox.EnqueueAsync(transaction, Charge(Guid.NewGuid()),
            new CommandEnqueueOptions { ClientId = "order-service", NotBefore = DateTimeOffset.UtcNow.AddDays(31) }, Ct));
    }

    private static DateTimeOffset CommandRowsTime(DateTimeOffset value) => CommandRows.TruncateToMicroseconds(value);

    private static ChargePayment Charge(Guid orderId) => new()
    {
        CommandId = Guid.CreateVersion7(),
        Tenant = Tenant,
        Amount = 42.50m,
        Currency = "EUR",
        CustomerId = "cus_outbox",
        Description = $"Order {orderId}",
    };

    private async Task<(CommandOutbox Outbox, NpgsqlDataSource DataSource)> CreateAsync()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.AddBuiltInCommandTypes();
        builder.AddCommandOutbox();
        var services = builder.Build().Services;
        var dataSource = NpgsqlDataSource.Create(system.PostgresConnectionString);
        await using var create = dataSource.CreateCommand("CREATE TABLE IF NOT EXISTS test_orders (id uuid PRIMARY KEY, placed_at timestamptz NOT NULL DEFAULT now())");
        await create.ExecuteNonQueryAsync(Ct);
        return (services.GetRequiredService<CommandOutbox>(), dataSource);
    }

    private static async Task InsertOrderAsync(NpgsqlTransaction transaction, Guid orderId)
    {
        await using var insert = new NpgsqlCommand("INSERT INTO test_orders (id) VALUES (@id)", transaction.Connection, transaction);
        insert.Parameters.AddWithValue("id", orderId);
        await insert.ExecuteNonQueryAsync(Ct);
    }
}

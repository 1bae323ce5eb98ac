using Messaging.Contracts.Payments;
using Messaging.Store.Outbox;
using Npgsql;

namespace Messaging.Samples.OrderService;

/// <summary>An order of the sample service.</summary>
internal sealed record Order(Guid Id, string Tenant, string CustomerId, decimal Amount, string Currency);

/// <summary>What placing an order committed.</summary>
internal sealed record PlacedOrder(Guid OrderId, Guid CommandId);

/// <summary>A business failure after the command was enqueued: the whole transaction rolls back.</summary>
internal sealed class StockUnavailableException(Guid commandId) : Exception("Out of stock.")
{
    public Guid CommandId { get; } = commandId;
}

/// <summary>Places orders: the order row and its payment command in one transaction.</summary>
internal sealed class OrderPlacement(NpgsqlDataSource dataSource, CommandOutbox outbox)
{
    public async Task EnsureSchemaAsync(CancellationToken cancellationToken = default)
    {
        await using var create = dataSource.CreateCommand(
            """
            CREATE TABLE IF NOT EXISTS sample_orders (
                id                  uuid PRIMARY KEY,
                tenant              text          NOT NULL,
                customer_id         text          NOT NULL,
                amount              numeric(12,2) NOT NULL,
                currency            text          NOT NULL,
                payment_command_id  uuid          NOT NULL
            )
            """);
        await create.ExecuteNonQueryAsync(cancellationToken);
    }

    public async Task<PlacedOrder> PlaceAsync(Order order, bool failAfterEnqueue, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        // The command id is ours before the commit, so the order can point at its payment.
        var charge = new ChargePayment
        {
            CommandId = Guid.CreateVersion7(),
            Tenant = order.Tenant,
            Amount = order.Amount,
            Currency = order.Currency,
            CustomerId = order.CustomerId,
            Description = $"Order {order.Id}",
        };

        await using (var insert = new NpgsqlCommand(
            "INSERT INTO sample_orders (id, tenant, customer_id, amount, currency, payment_command_id) VALUES (@id, @tenant, @customer, @amount, @currency, @command)",
            connection, transaction))
        {
            insert.Parameters.AddWithValue("id", order.Id);
            insert.Parameters.AddWithValue("tenant", order.Tenant);
            insert.Parameters.AddWithValue("customer", order.CustomerId);
            insert.Parameters.AddWithValue("amount", order.Amount);
            insert.Parameters.AddWithValue("currency", order.Currency);
            insert.Parameters.AddWithValue("command", charge.CommandId);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(transaction, charge,
            new CommandEnqueueOptions { ClientId = "order-service", IdempotencyKey = $"order-{order.Id}" }, cancellationToken);

        if (failAfterEnqueue)
        {
            // Disposing the transaction without a commit rolls back the order and the command alike.
            throw new StockUnavailableException(charge.CommandId);
        }

        await transaction.CommitAsync(cancellationToken);
        return new PlacedOrder(order.Id, charge.CommandId);
    }

    public async Task<(long Orders, long Commands, long OutboxRows)> CountTracesAsync(Guid orderId, Guid commandId, CancellationToken cancellationToken = default)
    {
        await using var count = dataSource.CreateCommand(
            """
            SELECT (SELECT count(*) FROM sample_orders WHERE id = @order),
                   (SELECT count(*) FROM commands WHERE id = @command),
                   (SELECT count(*) FROM outbox WHERE command_id = @command)
            """);
        count.Parameters.AddWithValue("order", orderId);
        count.Parameters.AddWithValue("command", commandId);
        await using var reader = await count.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }
}

using Messaging.CommandTypes.BuiltIn;
using Messaging.Store.Outbox;
using Messaging.Samples.OrderService;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

// A service that keeps its orders in the gateway's PostgreSQL database. Placing an order inserts the
// order and enqueues its payments.charge command in one transaction: both commit, or neither exists.
// The gateway's outbox relay delivers the command; follow it with `msg status <command id>`.
// appsettings.json is read from beside the assembly, wherever `dotnet run` is started.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddSingleton(_ => NpgsqlDataSource.Create(builder.Configuration.GetConnectionString("Postgres")
    ?? throw new InvalidOperationException("ConnectionStrings:Postgres is required.")));
builder.AddBuiltInCommandTypes(); // the command types it enqueues, registered as the gateway registers them
builder.AddCommandOutbox();
builder.Services.AddSingleton<OrderPlacement>();

using var host = builder.Build();
var orders = host.Services.GetRequiredService<OrderPlacement>();
var tenant = builder.Configuration["OrderService:Tenant"] ?? "demo";
await orders.EnsureSchemaAsync();

var placed = await orders.PlaceAsync(new Order(Guid.NewGuid(), tenant, "cus_sample", 24.90m, "EUR"), failAfterEnqueue: false);
Console.WriteLine($"placed order {placed.OrderId}: command {placed.CommandId} enqueued with it (msg status {placed.CommandId})");

var failing = new Order(Guid.NewGuid(), tenant, "cus_sample", 99.00m, "EUR");
try
{
    await orders.PlaceAsync(failing, failAfterEnqueue: true);
}
catch (StockUnavailableException ex)
{
    var left = await orders.CountTracesAsync(failing.Id, ex.CommandId);
    Console.WriteLine($"order {failing.Id} failed after enqueueing command {ex.CommandId}; rolled back: {left.Orders} order rows, {left.Commands} command rows, {left.OutboxRows} outbox rows");
}

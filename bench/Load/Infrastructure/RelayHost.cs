using System.Globalization;
using Messaging.CommandTypes.BuiltIn;
using Messaging.Contracts.Notifications;
using Messaging.Store.Bus;
using Messaging.Store.Outbox;
using Messaging.Store.Persistence;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Redis;
using Npgsql;

namespace Messaging.Load.Infrastructure;

/// <summary>The product's outbox relay (and writer) in this process, wired as the gateway wires them.</summary>
internal sealed class RelayHost : IAsyncDisposable
{
    private static readonly Dictionary<string, string> Headers = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(OutboxRows.Headers)!;

    private readonly IHost _host;

    private RelayHost(IHost host) => _host = host;

    public OutboxWriter Writer => _host.Services.GetRequiredService<OutboxWriter>();

    public OutboxSignal Signal => _host.Services.GetRequiredService<OutboxSignal>();

    public NpgsqlDataSource DataSource => _host.Services.GetRequiredService<NpgsqlDataSource>();

    /// <summary>Starts a relay with batch <paramref name="batchSize"/> and any other <c>Outbox:Relay</c> settings in <paramref name="relaySettings"/>.</summary>
    public static async Task<RelayHost> StartAsync(string postgres, string rabbitMq, BenchServices services, int batchSize,
        IReadOnlyDictionary<string, string>? relaySettings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { EnvironmentName = "Production", DisableDefaults = false });
        builder.Logging.ClearProviders();
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = postgres,
            ["ConnectionStrings:RabbitMq"] = rabbitMq,
            ["ConnectionStrings:Redis"] = services.RedisConnectionString,
            ["Redis:KeyPrefix"] = services.RedisKeyPrefix,
            ["Messaging:SigningKeys:0"] = SystemHosts.MessageSigningKey,
            ["Outbox:Relay:BatchSize"] = batchSize.ToString(CultureInfo.InvariantCulture),
        });
        builder.Configuration.AddInMemoryCollection(relaySettings?.Select(s => KeyValuePair.Create($"Outbox:Relay:{s.Key}", (string?)s.Value)) ?? []);
        builder.AddBuiltInCommandTypes(); // the relay publishes to the queues of the registered types, as in the gateway
        builder.AddMessagingPostgres();
        builder.AddMessagingRedis();
        builder.AddInfrastructurePipelines();
        builder.AddCommandTopology();
        builder.AddMessagingBus();
        builder.AddOutboxRelay();
        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return new RelayHost(host);
    }

    /// <summary>
    /// Drains <paramref name="rows"/> rows through a relay host of its own (its own database and virtual host), unmeasured, and
    /// stops it: the JIT's work (tiering up the relay, Npgsql, RabbitMQ.Client, MassTransit's start) is then done before a
    /// measured relay starts in this process, as in a gateway that has been running for a while.
    /// </summary>
    public static async Task WarmUpAsync(BenchServices services, int rows, int payload, int batchSize)
    {
        var postgres = await services.CreateDatabaseAsync().ConfigureAwait(false);
        var rabbitMq = await services.CreateVirtualHostAsync().ConfigureAwait(false);
        await Baselines.MassTransitApi.DeclareTopologyAsync(rabbitMq).ConfigureAwait(false);
        await OutboxRows.InsertBacklogAsync(postgres, rows, payload).ConfigureAwait(false);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await using (var relay = await StartAsync(postgres, rabbitMq, services, batchSize).ConfigureAwait(false))
        {
            while (await OutboxRows.PendingAsync(relay.DataSource).ConfigureAwait(false) > 0 && watch.Elapsed < TimeSpan.FromMinutes(5))
            {
                await Task.Delay(250).ConfigureAwait(false);
            }
        }

        Console.WriteLine($"warm-up: {rows} rows drained by a first relay in {watch.Elapsed.TotalSeconds:0.0} s (not measured)");
    }

    /// <summary>
    /// Writes one command row in a transaction of its own through <see cref="OutboxWriter"/> and signals the relay, as the
    /// gateway does after a commit.
    /// </summary>
    public async ValueTask<bool> WriteRowAsync(int payload, CancellationToken cancellationToken)
    {
        var id = Guid.CreateVersion7();
        await using var connection = await DataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await Writer.EnqueueAsync(transaction, new OutboxMessage(id, SendNotification.TypeName, typeof(SendNotification).FullName!,
            OutboxRows.Body(id, payload), Headers, DateTimeOffset.UtcNow), cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        Signal.Notify();
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}

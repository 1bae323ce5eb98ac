using System.Globalization;
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
    private readonly IHost _host;

    private RelayHost(IHost host) => _host = host;

    public OutboxWriter Writer => _host.Services.GetRequiredService<OutboxWriter>();

    public OutboxSignal Signal => _host.Services.GetRequiredService<OutboxSignal>();

    public NpgsqlDataSource DataSource => _host.Services.GetRequiredService<NpgsqlDataSource>();

    public static async Task<RelayHost> StartAsync(string postgres, string rabbitMq, BenchServices services, int batchSize)
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

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}

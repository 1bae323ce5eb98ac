using System.Globalization;
using Messaging.Resilience.Bus;
using Messaging.Resilience.Outbox;
using Messaging.Resilience.Persistence;
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

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync().ConfigureAwait(false);
        _host.Dispose();
    }
}

using Messaging.Store.Bus;
using Messaging.Store.FaultInjection;
using Messaging.Resilience.Pipelines;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Messaging.Store.Outbox;

/// <summary>Registers the outbox writer and relay.</summary>
public static class OutboxServiceCollectionExtensions
{
    /// <summary>Adds <see cref="OutboxWriter"/> and <see cref="OutboxSignal"/> (for hosts that only write rows).</summary>
    public static IHostApplicationBuilder AddOutbox(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.TryAddSingleton<OutboxSignal>();
        builder.Services.TryAddSingleton<OutboxWriter>();
        return builder;
    }

    /// <summary>
    /// Adds <see cref="CommandOutbox"/> (section <c>Outbox:Commands</c>): the outbox as a library, for a
    /// service that enqueues commands inside its own transactions on the gateway's database. The command types
    /// it enqueues must be registered as in the gateway (their modules, for example <c>AddBuiltInCommandTypes()</c>).
    /// Requires an <c>NpgsqlDataSource</c> only for the caller's own connections; the relay of any gateway
    /// delivers the rows.
    /// </summary>
    public static IHostApplicationBuilder AddCommandOutbox(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOutbox();
        builder.Services.AddOptions<CommandOutboxOptions>()
            .Bind(builder.Configuration.GetSection(CommandOutboxOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<CommandOutbox>();
        return builder;
    }

    /// <summary>
    /// Adds the retention job (sections <c>Outbox:Cleanup</c> and <c>Retention</c>) that deletes, in batches, sent
    /// outbox rows and inbox rows, terminal commands, redriven dead letters and audit records older than their
    /// retention, and expired idempotency keys. Requires PostgreSQL. <see cref="AddOutboxRelay"/> calls it; calling it
    /// more than once is harmless.
    /// </summary>
    public static IHostApplicationBuilder AddOutboxCleanup(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (builder.Services.Any(d => d.ServiceType == typeof(OutboxCleanup)))
        {
            return builder;
        }

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddOptions<OutboxCleanupOptions>()
            .Bind(builder.Configuration.GetSection(OutboxCleanupOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddOptions<RetentionOptions>()
            .Bind(builder.Configuration.GetSection(RetentionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddCommandMetrics();
        builder.Services.AddSingleton<OutboxCleanup>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxCleanup>());
        return builder;
    }

    /// <summary>
    /// Adds the outbox and the relay that delivers it (section <c>Outbox:Relay</c>) and the retention job
    /// (<see cref="AddOutboxCleanup"/>, sections <c>Outbox:Cleanup</c> and <c>Retention</c>). Requires the bus
    /// (<see cref="MessagingBusExtensions.AddMessagingBus"/>) and PostgreSQL.
    /// </summary>
    public static IHostApplicationBuilder AddOutboxRelay(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.AddOutbox();
        builder.AddFaultInjection();
        builder.Services.AddOptions<OutboxRelayOptions>()
            .Bind(builder.Configuration.GetSection(OutboxRelayOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.TryAddSingleton<CommandTopologyDeclarer>();
        builder.Services.TryAddSingleton<RelayChannel>();
        builder.Services.TryAddSingleton<OutboxCommandPublisher>();
        builder.Services.TryAddSingleton<OutboxEventPublisher>();
        builder.Services.AddResilienceCore();
        builder.Services.AddCommandMetrics();
        builder.Services.AddSingleton<OutboxRelay>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OutboxRelay>());
        builder.AddOutboxCleanup();
        return builder;
    }
}

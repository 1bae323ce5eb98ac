using Messaging.Contracts.Commands;
using Messaging.Resilience.Bus;
using Messaging.Resilience.DeadLetters;
using Messaging.Resilience.FaultInjection;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Telemetry;
using Messaging.Workers.DeadLetters;
using Messaging.Workers.Notifications;
using Messaging.Workers.Payments;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Execution;

/// <summary>Registers command execution and the MassTransit bus with one consumer per command type.</summary>
internal static class ExecutionExtensions
{
    /// <summary>
    /// Adds the per-type options (<c>Commands:Types:&lt;type&gt;</c>: <c>Flow</c>, <c>Retry</c>, <c>Fallback</c>,
    /// validated on start), <see cref="CommandStatusStore"/>, <see cref="CommandExecutor"/> with its delayed
    /// retries (<see cref="CommandScheduler"/>) and dead letters (<see cref="DeadLetterWriter"/>), and
    /// MassTransit on RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an <c>amqp://</c> URI with the virtual
    /// host as its path) with the command consumers on breaker-aware endpoints.
    /// </summary>
    public static IHostApplicationBuilder AddCommandConsumers(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddResilienceCore();

        foreach (var command in CommandCatalog.All)
        {
            services.AddOptions<CommandTypeOptions>(command.TypeName)
                .Bind(builder.Configuration.GetSection($"{CommandTypeOptions.SectionName}:{command.TypeName}"))
                .ValidateOnStart();
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<CommandTypeOptions>, CommandTypeOptionsValidator>());
        builder.AddDeadLetters();
        builder.AddFaultInjection();
        services.AddMessagingTelemetry();
        services.TryAddSingleton<CommandFlowMetrics>();
        services.TryAddSingleton<PostgresTransactions>();
        services.TryAddSingleton<CommandFallbacks>();
        services.TryAddSingleton<DeadLetterWriter>();
        services.AddSingleton<CommandStatusStore>();
        services.AddSingleton<CommandScheduler>();
        services.AddSingleton<CommandExecutor>();

        builder.AddCommandTopology();
        builder.AddMessagingBus(bus =>
        {
            bus.AddConsumer<ChargePaymentConsumer>(typeof(ChargePaymentConsumerDefinition));
            bus.AddConsumer<SendNotificationConsumer>(typeof(SendNotificationConsumerDefinition));
        });
        return builder;
    }
}

using Messaging.CommandTypes;
using Messaging.Resilience.Bus;
using Messaging.Resilience.DeadLetters;
using Messaging.Resilience.FaultInjection;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Telemetry;
using Messaging.Workers.DeadLetters;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Workers.Execution;

/// <summary>Registers command execution and the MassTransit bus with one consumer per command type.</summary>
internal static class ExecutionExtensions
{
    /// <summary>
    /// Adds <see cref="CommandStatusStore"/>, <see cref="CommandExecutor"/> with its delayed retries
    /// (<see cref="CommandScheduler"/>) and dead letters (<see cref="DeadLetterWriter"/>), and MassTransit on
    /// RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an <c>amqp://</c> URI with the virtual host as its path) with
    /// one consumer on a breaker-aware endpoint per registered command type. Call it after the modules that
    /// register the types (<c>AddCommandType</c>): it reads their registrations.
    /// </summary>
    public static IHostApplicationBuilder AddCommandConsumers(this IHostApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        services.TryAddSingleton(TimeProvider.System);
        services.AddResilienceCore();

        var commandTypes = services.CommandTypeRegistrations();
        if (commandTypes.Count == 0)
        {
            throw new InvalidOperationException("No command type is registered: add the modules that register them (AddCommandType) before AddCommandConsumers.");
        }

        builder.AddDeadLetters();
        builder.AddFaultInjection();
        services.AddMessagingTelemetry();
        services.TryAddSingleton<CommandFlowMetrics>();
        services.TryAddSingleton<PostgresTransactions>();
        services.TryAddSingleton<CommandFallbacks>();
        services.TryAddSingleton<DeadLetterWriter>();
        services.AddSingleton<CommandStatusStore>();
        services.AddSingleton<CommandScheduler>();
        services.AddSingleton<CommandOutcomes>();
        services.AddSingleton<CommandExecutor>();

        builder.AddCommandTopology();
        builder.AddMessagingBus(bus =>
        {
            foreach (var commandType in commandTypes)
            {
                // The extension, not the instance method: the consumer's type is known only at run time.
                MassTransit.RegistrationConfiguratorExtensions.AddConsumer(bus, typeof(CommandConsumer<>).MakeGenericType(commandType.MessageType),
                    typeof(CommandConsumerDefinition<>).MakeGenericType(commandType.MessageType));
            }
        });
        return builder;
    }
}

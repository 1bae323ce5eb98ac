using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Contracts.Http;
using Messaging.Store.Bus;
using Messaging.Store.DeadLetters;
using Messaging.Store.Persistence;
using Messaging.Store.FaultInjection;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Telemetry;
using Messaging.Store.Telemetry;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Execution;

/// <summary>Registers command execution and the MassTransit bus with one consumer per command type.</summary>
internal static class ExecutionExtensions
{
    /// <summary>
    /// Adds <see cref="CommandStatusStore"/>, <see cref="CommandExecutor"/> with its delayed retries
    /// (<see cref="CommandScheduler"/>) and dead letters (<see cref="DeadLetterWriter"/>), and MassTransit on
    /// RabbitMQ (<c>ConnectionStrings:RabbitMq</c>, an <c>amqp://</c> URI with the virtual host as its path) with
    /// one consumer on a breaker-aware endpoint per registered command type with a handler. Call it after the
    /// modules that register the types (<c>AddCommandType</c>): it reads their registrations.
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
        services.AddCommandMetrics().AddFleetCounters();
        services.TryAddSingleton<CommandFlowMetrics>();
        services.TryAddSingleton<PostgresTransactions>();
        services.TryAddSingleton<CommandFallbacks>();
        services.TryAddSingleton<DeadLetterWriter>();
        services.AddOptions<StatementBatchingOptions>()
            .BindConfiguration(StatementBatchingOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<StatementBatcher>();
        services.AddSingleton<CommandStatusStore>();
        services.AddSingleton<CommandScheduler>();
        services.AddSingleton<CommandOutcomes>();
        services.AddSingleton<CommandExecutor>();

        // The topology declares every type's queue; a type without a handler (ExecutedBy) gets no consumer, so what is
        // queued to it waits there until a release executes it (callbacks.deliver, until its delivery is built).
        builder.AddCommandTopology();
        var executed = commandTypes.Where(t => t.HandlerType is not null).ToList();

        // A type with a message of its own gets its endpoint from its consumer definition; the types that share a
        // message (those declared in configuration) share one consumer, configured on an endpoint per type.
        var owned = executed.Where(t => !CommandTypeRegistry.IsShared(t.MessageType)).ToList();
        var shared = executed.Where(t => CommandTypeRegistry.IsShared(t.MessageType)).ToList();
        if (shared.FirstOrDefault(t => t.MessageType != typeof(HttpCommand)) is { } other)
        {
            throw new NotSupportedException($"{other.TypeName}: {other.MessageType.Name} is a shared message type; only {nameof(HttpCommand)} (types declared in configuration) may be shared.");
        }

        builder.AddMessagingBus(
            bus =>
            {
                foreach (var commandType in owned)
                {
                    // The extension, not the instance method: the consumer's type is known only at run time.
                    MassTransit.RegistrationConfiguratorExtensions.AddConsumer(bus, typeof(CommandConsumer<>).MakeGenericType(commandType.MessageType),
                        typeof(CommandConsumerDefinition<>).MakeGenericType(commandType.MessageType));
                }

                if (shared.Count > 0)
                {
                    bus.AddConsumer<CommandConsumer<HttpCommand>>().ExcludeFromConfigureEndpoints();
                }
            },
            (context, rabbit) =>
            {
                var registry = context.GetRequiredService<CommandTypeRegistry>();
                var options = context.GetRequiredService<IOptionsMonitor<CommandTypeOptions>>();
                foreach (var commandType in shared)
                {
                    registry.TryGetExact(commandType.TypeName, out var descriptor);
                    rabbit.ReceiveEndpoint(descriptor.QueueName, endpoint =>
                        CommandEndpoint.Configure<HttpCommand>(endpoint, descriptor, options.Get(descriptor.TypeName), context));
                }
            });
        return builder;
    }
}

using MassTransit;
using MassTransit.Middleware;
using Messaging.CommandTypes;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Breakers;
using Messaging.Resilience;
using Messaging.Store.Bus;
using Messaging.Workers.Flow;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Execution;

/// <summary>
/// The receive endpoint of one command type: its quorum queue (named and declared exactly as
/// <see cref="CommandTopology"/> declares it), breaker-aware consumption with the concurrency and prefetch
/// of <c>Commands:Types:&lt;type&gt;:Flow</c>, and its resilience profile: the
/// <see cref="ExecutionProfileFilter{TMessage}"/> with the the dependencies (<see cref="CommandEndpoint.Dependencies"/>) the handler calls. Every
/// registered type gets one, derived from its registration: nothing here is written per type.
/// </summary>
/// <remarks>
/// There is no MassTransit message retry: the provider pipelines retry immediately, the executor schedules
/// delayed retries through the outbox, and a message that fails because PostgreSQL is unreachable is held
/// by <see cref="BreakerAwareConsumeFilter{TMessage}"/> until the endpoint admits it again. Messages that
/// fault before reaching the consumer (an unreadable body) go to the <c>_error</c> queue, and messages of
/// an unknown type to <c>_skipped</c>; the dead-letter drain stores both.
/// </remarks>
internal sealed class CommandConsumerDefinition<TMessage> : ConsumerDefinition<CommandConsumer<TMessage>>
    where TMessage : class, ICommandMessage
{
    private readonly CommandDescriptor _descriptor;
    private readonly CommandTypeOptions _options;

    public CommandConsumerDefinition(CommandTypeRegistry commandTypes, IOptionsMonitor<CommandTypeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(commandTypes);
        ArgumentNullException.ThrowIfNull(options);
        if (!commandTypes.TryGetByMessageType(typeof(TMessage), out var descriptor))
        {
            throw new ArgumentException($"{typeof(TMessage).Name} is not the message of exactly one registered command type.", nameof(commandTypes));
        }

        _descriptor = descriptor;
        _options = options.Get(descriptor.TypeName);
        Endpoint(endpoint =>
        {
            endpoint.Name = descriptor.QueueName;
            // The broker never pushes more than the endpoint may run: while it pauses, the rest stay ready in the queue.
            endpoint.PrefetchCount = _options.Flow.ConcurrencyLimit;
            endpoint.ConcurrentMessageLimit = _options.Flow.ConcurrencyLimit;
            // Commands are sent to their queue's exchange, never published by message type, so the
            // endpoint needs no message-type exchanges: the topology stays the one CommandTopology declares.
            endpoint.ConfigureConsumeTopology = false;
        });
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<CommandConsumer<TMessage>> consumerConfigurator,
        IRegistrationContext context) =>
        CommandEndpoint.ConfigureSteps<TMessage>(endpointConfigurator, _descriptor, _options, context);
}

/// <summary>
/// What every command type's receive endpoint is, whether a consumer definition configures it (a type with a
/// message of its own) or <see cref="ExecutionExtensions"/> does (the types declared in configuration share one
/// message, <c>HttpCommand</c>, and each gets an endpoint of its own on its own queue).
/// </summary>
internal static class CommandEndpoint
{
    /// <summary>
    /// The dependencies the handler calls, by dependency name (<c>payments</c>, <c>postgres</c>): carried in
    /// the execution profile, and what breaker-aware consumption watches. A provider's breakers are those
    /// of its endpoints (<c>payments@host:port</c>); an infrastructure dependency's breaker has its name.
    /// </summary>
    /// <remarks>
    /// A type addressed per command (completion callbacks) has one breaker per address: none of them pauses the endpoint,
    /// which serves every address; the handler defers what an open one refuses.
    /// </remarks>
    public static IReadOnlyList<string> Dependencies(CommandDescriptor descriptor) =>
        descriptor.AddressedPerCommand ? [DependencyNames.Postgres] : [descriptor.Provider, DependencyNames.Postgres];

    /// <summary>Configures an endpoint made by hand for <paramref name="descriptor"/>: queue settings as a definition sets them, the steps, then the consumer.</summary>
    public static void Configure<TMessage>(IRabbitMqReceiveEndpointConfigurator endpoint, CommandDescriptor descriptor, CommandTypeOptions options,
        IRegistrationContext context)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        ArgumentNullException.ThrowIfNull(options);
        endpoint.PrefetchCount = options.Flow.ConcurrencyLimit;
        endpoint.ConcurrentMessageLimit = options.Flow.ConcurrencyLimit;
        endpoint.ConfigureConsumeTopology = false;
        ConfigureSteps<TMessage>(endpoint, descriptor, options, context);
        endpoint.ConfigureConsumer<CommandConsumer<TMessage>>(context);
    }

    /// <summary>The queue, and the filters every command passes through, in order, before <see cref="CommandExecutor"/>.</summary>
    public static void ConfigureSteps<TMessage>(IReceiveEndpointConfigurator endpointConfigurator, CommandDescriptor descriptor, CommandTypeOptions options,
        IRegistrationContext context)
        where TMessage : class, ICommandMessage
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        ArgumentNullException.ThrowIfNull(descriptor);
        ArgumentNullException.ThrowIfNull(context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.Durable = true;
            rabbit.AutoDelete = false;
            rabbit.ConfigureCommandQueue(context.GetRequiredService<RabbitMqBroker>().QuorumInitialGroupSize);
        }

        var commandType = descriptor.TypeName;
        var dependencies = Dependencies(descriptor);

        // Outermost: every log record of the delivery (a held message's runs too) carries the command's id, type and tenant.
        endpointConfigurator.UseFilter(new CommandConsumeTelemetryFilter<TMessage>(commandType,
            context.GetRequiredService<ILogger<CommandConsumeTelemetryFilter<TMessage>>>()));

        var loggers = context.GetRequiredService<ILoggerFactory>();
        var flow = context.GetRequiredService<BreakerAwareEndpoints>().GetOrAdd(descriptor.QueueName, dependencies, options.Flow);
        endpointConfigurator.ConnectReceiveEndpointObserver(new ReceiveEndpointSwitch(flow, loggers.CreateLogger<ReceiveEndpointSwitch>()));

        // Interrupted work goes back to the queue; what faults by itself goes to _error (and from there to the dead-letter store).
        endpointConfigurator.ConfigureError(error =>
        {
            error.UseFilter(new ReturnToQueueFilter());
            error.UseFilter(new GenerateFaultFilter());
            error.UseFilter(new ErrorTransportFilter());
        });

        endpointConfigurator.UseFilter(new BreakerAwareConsumeFilter<TMessage>(flow, context.GetRequiredService<IHostApplicationLifetime>(),
            context.GetRequiredService<TimeProvider>(), loggers.CreateLogger<BreakerAwareConsumeFilter<TMessage>>()));
        endpointConfigurator.UseFilter(new ExecutionProfileFilter<TMessage>(commandType, dependencies,
            context.GetRequiredService<ILogger<ExecutionProfileFilter<TMessage>>>()));

        // The steps every command shares, in order, each a filter resolved per message from the message's scope
        // (the consumer and the type's handler share it). What passes them all reaches CommandExecutor.
        endpointConfigurator.UseMessageScope(context);
        endpointConfigurator.UseConsumeFilter(typeof(PoisonCheckFilter<>), context);
        endpointConfigurator.UseConsumeFilter(typeof(InboxFilter<>), context);
        endpointConfigurator.UseConsumeFilter(typeof(DeadlineFilter<>), context);
        endpointConfigurator.UseConsumeFilter(typeof(QuotaFilter<>), context);
    }
}

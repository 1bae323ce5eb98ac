using MassTransit;
using Messaging.Contracts.Commands;
using Messaging.Resilience.Bus;
using Messaging.Resilience.Telemetry;
using Messaging.Workers.ExternalServices;
using Microsoft.Extensions.Options;

namespace Messaging.Workers.Execution;

/// <summary>
/// The receive endpoint of one command type: its quorum queue (named and declared exactly as
/// <see cref="CommandTopology"/> declares it), its concurrency and prefetch from
/// <c>Commands:Types:&lt;type&gt;</c>, its retry policy, and its resilience profile: the
/// <see cref="ExecutionProfileFilter{TMessage}"/> with the <see cref="Dependencies"/> the handler calls.
/// Each consumer's definition derives from this, next to the consumer, declares its dependencies and
/// adds what is particular to its type.
/// </summary>
internal abstract class CommandConsumerDefinition<TConsumer, TMessage> : ConsumerDefinition<TConsumer>
    where TConsumer : class, IConsumer<TMessage>
    where TMessage : class, ICommandMessage
{
    private readonly string _commandType;
    private readonly CommandTypeOptions _options;

    protected CommandConsumerDefinition(string commandType, IOptionsMonitor<CommandTypeOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!CommandCatalog.TryGet(commandType, out var descriptor))
        {
            throw new ArgumentException($"'{commandType}' is not a known command type.", nameof(commandType));
        }

        _commandType = commandType;
        _options = options.Get(commandType);
        Endpoint(endpoint =>
        {
            endpoint.Name = descriptor.QueueName;
            endpoint.PrefetchCount = _options.ConcurrencyLimit;
            endpoint.ConcurrentMessageLimit = _options.ConcurrencyLimit;
            // Commands are sent to their queue's exchange, never published by message type, so the
            // endpoint needs no message-type exchanges: the topology stays the one CommandTopology declares.
            endpoint.ConfigureConsumeTopology = false;
        });
    }

    /// <summary>
    /// The dependencies the handler calls, by dependency name (<c>payments</c>, <c>postgres</c>): carried in
    /// the execution profile, and what breaker-aware consumption watches. A provider's breakers are those
    /// of its endpoints (<c>payments@host:port</c>); an infrastructure dependency's breaker has its name.
    /// </summary>
    public abstract IReadOnlyList<string> Dependencies { get; }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<TConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        ArgumentNullException.ThrowIfNull(endpointConfigurator);
        ArgumentNullException.ThrowIfNull(context);
        if (endpointConfigurator is IRabbitMqReceiveEndpointConfigurator rabbit)
        {
            rabbit.Durable = true;
            rabbit.AutoDelete = false;
            rabbit.ConfigureCommandQueue();
        }

        // Outermost: every log record of the delivery (its retries too) carries the command's id, type and tenant.
        endpointConfigurator.UseFilter(new CommandConsumeTelemetryFilter<TMessage>(_commandType,
            context.GetRequiredService<ILogger<CommandConsumeTelemetryFilter<TMessage>>>()));

        // Immediate redeliveries for transient failures; answers outside the provider's contract are
        // not retried. What comes after the last redelivery (today MassTransit's _error queue) becomes
        // a delayed retry through the outbox, then the dead-letter store, when those land.
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Ignore<ProviderException>(ex => !ex.IsTransient);
            retry.Exponential(_options.RetryLimit, _options.RetryMinInterval, _options.RetryMaxInterval, _options.RetryMinInterval);
        });

        endpointConfigurator.UseFilter(new ExecutionProfileFilter<TMessage>(_commandType, Dependencies,
            context.GetRequiredService<ILogger<ExecutionProfileFilter<TMessage>>>()));
    }
}

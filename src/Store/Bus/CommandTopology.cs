using MassTransit;
using Messaging.Contracts.Commands;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Messaging.Store.Bus;

/// <summary>
/// The RabbitMQ topology of the command queues, declared identically by whoever gets there first:
/// the gateway's relay (with RabbitMQ.Client, before its first publish, so that nothing is published
/// into an exchange with no queue) and the workers (through MassTransit's receive endpoints).
/// Each command type has a fanout exchange and a durable quorum queue of the same name; quorum queues'
/// delivery limit dead-letters a message that crashes its consumer again and again.
/// </summary>
public static class CommandTopology
{
    /// <summary>The exchange and queue that receive messages the broker dead-letters (delivery limit reached).</summary>
    public const string DeadLetterExchange = "messaging.dead-letters";

    /// <summary>The quorum queue bound to <see cref="DeadLetterExchange"/>.</summary>
    public const string DeadLetterQueue = "messaging.dead-letters";

    /// <summary>Redeliveries after which the broker dead-letters a message (the crash-loop backstop).</summary>
    public const int DeliveryLimit = 20;

    /// <summary>The argument that sets how many nodes hold a replica of a quorum queue when it is declared.</summary>
    public const string QuorumInitialGroupSizeArgument = "x-quorum-initial-group-size";

    /// <summary>
    /// The queue arguments of every command queue. Changing one makes RabbitMQ refuse to redeclare
    /// existing queues (PRECONDITION_FAILED), so treat them as part of the wire format.
    /// </summary>
    /// <param name="quorumInitialGroupSize">
    /// <see cref="RabbitMqOptions.QuorumInitialGroupSize"/>; null sends no <see cref="QuorumInitialGroupSizeArgument"/>
    /// (every node of the cluster). RabbitMQ compares it on every redeclare like the others (checked against 3.10), so it
    /// too is fixed by a queue's first declaration: change an existing queue's members with <c>rabbitmq-queues grow</c>/<c>shrink</c>.
    /// </param>
    public static IDictionary<string, object?> CommandQueueArguments(int? quorumInitialGroupSize)
    {
        var arguments = new Dictionary<string, object?>
        {
            ["x-queue-type"] = "quorum",
            ["x-delivery-limit"] = DeliveryLimit,
            ["x-dead-letter-exchange"] = DeadLetterExchange,
        };
        AddQuorumInitialGroupSize(arguments, quorumInitialGroupSize);
        return arguments;
    }

    /// <summary>The queue arguments of <see cref="DeadLetterQueue"/>: a quorum queue, replicated like the command queues.</summary>
    public static IDictionary<string, object?> DeadLetterQueueArguments(int? quorumInitialGroupSize)
    {
        var arguments = new Dictionary<string, object?> { ["x-queue-type"] = "quorum" };
        AddQuorumInitialGroupSize(arguments, quorumInitialGroupSize);
        return arguments;
    }

    /// <summary>Declares the dead-letter exchange and queue, and every registered command type's exchange and queue.</summary>
    /// <exception cref="QueueArgumentsMismatchException">A queue exists with other arguments.</exception>
    public static async Task DeclareAsync(IChannel channel, CommandTypeRegistry commandTypes, int? quorumInitialGroupSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(commandTypes);
        await channel.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Fanout, durable: true, autoDelete: false,
            cancellationToken: cancellationToken).ConfigureAwait(false);
        await DeclareQueueAsync(channel, DeadLetterQueue, DeadLetterQueueArguments(quorumInitialGroupSize), cancellationToken).ConfigureAwait(false);
        await channel.QueueBindAsync(DeadLetterQueue, DeadLetterExchange, routingKey: string.Empty,
            cancellationToken: cancellationToken).ConfigureAwait(false);

        foreach (var command in commandTypes.All)
        {
            await channel.ExchangeDeclareAsync(command.QueueName, ExchangeType.Fanout, durable: true, autoDelete: false,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            await DeclareQueueAsync(channel, command.QueueName, CommandQueueArguments(quorumInitialGroupSize), cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(command.QueueName, command.QueueName, routingKey: string.Empty,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The queues MassTransit moves a command queue's messages to when they fault outside the consumer's
    /// own handling (<c>&lt;queue&gt;_error</c>: an unreadable body, an unexpected exception) or when no
    /// consumer takes them (<c>&lt;queue&gt;_skipped</c>: an unknown message type). The workers drain both
    /// into the dead-letter store.
    /// </summary>
    public static IReadOnlyList<string> FaultQueues(string queue) => [queue + "_error", queue + "_skipped"];

    /// <summary>
    /// Declares every command queue's fault queues (<see cref="FaultQueues"/>) exactly as MassTransit
    /// declares them on first use (a fanout exchange and a queue of the same name, with the command queue's
    /// arguments), so that a drain can consume them before MassTransit has moved anything there.
    /// </summary>
    /// <exception cref="QueueArgumentsMismatchException">A queue exists with other arguments.</exception>
    public static async Task DeclareFaultQueuesAsync(IChannel channel, CommandTypeRegistry commandTypes, int? quorumInitialGroupSize,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(commandTypes);
        foreach (var queue in commandTypes.All.SelectMany(c => FaultQueues(c.QueueName)))
        {
            await channel.ExchangeDeclareAsync(queue, ExchangeType.Fanout, durable: true, autoDelete: false,
                cancellationToken: cancellationToken).ConfigureAwait(false);
            await DeclareQueueAsync(channel, queue, CommandQueueArguments(quorumInitialGroupSize), cancellationToken).ConfigureAwait(false);
            await channel.QueueBindAsync(queue, queue, routingKey: string.Empty, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Configures a MassTransit receive endpoint with the same queue type and arguments; <paramref name="quorumInitialGroupSize"/>
    /// must be the value the other declarers use (<see cref="RabbitMqBroker.QuorumInitialGroupSize"/>), or the broker refuses one of them.
    /// </summary>
    public static void ConfigureCommandQueue(this IRabbitMqReceiveEndpointConfigurator endpoint, int? quorumInitialGroupSize)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.SetQuorumQueue();
        foreach (var (key, value) in CommandQueueArguments(quorumInitialGroupSize))
        {
            if (key != "x-queue-type")
            {
                endpoint.SetQueueArgument(key, value);
            }
        }
    }

    private static void AddQuorumInitialGroupSize(Dictionary<string, object?> arguments, int? quorumInitialGroupSize)
    {
        if (quorumInitialGroupSize is { } size)
        {
            arguments[QuorumInitialGroupSizeArgument] = size;
        }
    }

    private static async Task DeclareQueueAsync(IChannel channel, string queue, IDictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: arguments,
                cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == Constants.PreconditionFailed)
        {
            throw new QueueArgumentsMismatchException(queue, ex.ShutdownReason.ReplyText, ex);
        }
    }
}

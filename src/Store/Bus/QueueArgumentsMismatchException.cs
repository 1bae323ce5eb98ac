namespace Messaging.Store.Bus;

/// <summary>
/// RabbitMQ refused to redeclare a queue (PRECONDITION_FAILED) because it exists with other arguments than
/// <see cref="CommandTopology"/> declares: a queue's arguments are fixed by its first declaration. The usual cause is a
/// change of <c>RabbitMq:QuorumInitialGroupSize</c> after the queues were declared; the message says what to do.
/// </summary>
public sealed class QueueArgumentsMismatchException : InvalidOperationException
{
    /// <summary>Creates the exception for <paramref name="queue"/> with the broker's reason.</summary>
    /// <param name="queue">The queue.</param>
    /// <param name="brokerReason">The broker's reply text, naming the argument that differs.</param>
    /// <param name="innerException">The channel's closing exception.</param>
    public QueueArgumentsMismatchException(string queue, string brokerReason, Exception innerException)
        : base($"RabbitMQ refused to redeclare queue '{queue}' ({brokerReason}). A queue's arguments are fixed when it is first declared: "
            + "keep RabbitMq:QuorumInitialGroupSize at the value the queues were declared with (unset if they were declared without it), "
            + "and change the members of existing queues with rabbitmq-queues grow or shrink instead (docs/operations.md, Clusters).",
            innerException)
    {
        Queue = queue;
    }

    /// <summary>The queue RabbitMQ refused to redeclare.</summary>
    public string Queue { get; }
}

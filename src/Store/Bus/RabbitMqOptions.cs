using System.ComponentModel.DataAnnotations;

namespace Messaging.Store.Bus;

/// <summary>
/// Settings of the RabbitMQ connection beyond <c>ConnectionStrings:RabbitMq</c> (section <c>RabbitMq</c>): the nodes of a
/// cluster, and the replication of the quorum queues declared. Read once, with the connection string, by
/// <see cref="RabbitMqBroker.FromConfiguration"/>, which refuses invalid values naming the key.
/// </summary>
public sealed class RabbitMqOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "RabbitMq";

    /// <summary>
    /// The cluster's nodes as <c>host:port</c> (<c>RabbitMq:Hosts:0</c>, <c>RabbitMq:Hosts:1</c>, …), tried in order
    /// whenever a connection is opened. The port may be left out; the URI's port (or AMQP's default) applies. Credentials,
    /// virtual host and TLS still come from <c>ConnectionStrings:RabbitMq</c>, whose own host is used when the list is empty
    /// and, with TLS, is the name every node's certificate is checked against.
    /// </summary>
    /// <value>The default value is an empty list (one node: the host of <c>ConnectionStrings:RabbitMq</c>).</value>
    public IList<string> Hosts { get; } = [];

    /// <summary>
    /// The members of each quorum queue declared (<c>x-quorum-initial-group-size</c>): command queues, their fault queues
    /// and the dead-letter queue. Null sends no argument and RabbitMQ's default applies: every node of the cluster at the
    /// moment the queue is declared. Queues declared before the cluster grew keep their members; add the new node with
    /// <c>rabbitmq-queues grow &lt;node&gt; all</c> (docs/operations.md).
    /// </summary>
    /// <value>The default value is <see langword="null"/>.</value>
    [Range(1, 99)]
    public int? QuorumInitialGroupSize { get; set; }
}

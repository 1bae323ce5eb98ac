namespace Messaging.Client;

/// <summary>One queue.</summary>
/// <param name="Name">The queue name.</param>
/// <param name="Ready">Messages waiting.</param>
/// <param name="Unacked">Messages delivered and not yet acknowledged.</param>
/// <param name="Consumers">Consumers attached.</param>
/// <param name="PublishRate">Messages in per second.</param>
/// <param name="DeliverRate">Messages out per second.</param>
public sealed record QueueInfo(string Name, long? Ready, long? Unacked, int? Consumers, double? PublishRate, double? DeliverRate)
{
    /// <summary>
    /// Where the figures come from: <c>management</c> or <c>amqp</c> (the broker, the fleet's queues) or <c>tenant</c> (a
    /// tenant admin's share, counted from its commands: ready = waiting, unacked = being executed, no rates).
    /// </summary>
    public string? Source { get; init; }
}

using Messaging.Contracts.Notifications;
using Messaging.Contracts.Payments;

namespace Messaging.Contracts.Commands;

/// <summary>
/// The command types the system knows: the HTTP type name, the message type on the bus and the queue
/// that executes it. One place, so the gateway, the relay and the workers cannot disagree.
/// </summary>
public static class CommandCatalog
{
    /// <summary>Every known command type.</summary>
    public static IReadOnlyList<CommandDescriptor> All { get; } =
    [
        new(ChargePayment.TypeName, typeof(ChargePayment), QueueName: ChargePayment.TypeName, Provider: "payments"),
        new(SendNotification.TypeName, typeof(SendNotification), QueueName: SendNotification.TypeName, Provider: "notifications"),
    ];

    /// <summary>Finds a command type by its name (case-sensitive, as in URLs).</summary>
    public static bool TryGet(string typeName, out CommandDescriptor descriptor)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.TypeName, typeName, StringComparison.Ordinal))
            {
                descriptor = candidate;
                return true;
            }
        }

        descriptor = null!;
        return false;
    }
}

/// <summary>One command type: its name, its bus message type and the queue (and exchange) it is sent to.</summary>
/// <param name="TypeName">The name used in the HTTP API, for example <c>payments.charge</c>.</param>
/// <param name="MessageType">The message contract on the bus.</param>
/// <param name="QueueName">The durable quorum queue and the fanout exchange of the same name.</param>
/// <param name="Provider">The external provider that executes it; its endpoints' breakers are named <c>{Provider}@host:port</c>.</param>
public sealed record CommandDescriptor(string TypeName, Type MessageType, string QueueName, string Provider);

namespace Messaging.Contracts.Events;

/// <summary>The events the system publishes (through the outbox, by message type).</summary>
public static class EventCatalog
{
    /// <summary>Every event type.</summary>
    public static IReadOnlyList<Type> All { get; } = [typeof(PaymentFailed), typeof(NotificationFailed)];
}

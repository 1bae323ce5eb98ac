namespace Messaging.Store.Outbox;

/// <summary>How the relay delivers a row.</summary>
public enum OutboxMessageKind
{
    /// <summary>Sent to the exchange of its command queue with the mandatory flag.</summary>
    Command,

    /// <summary>Published by message type; having no subscriber is not an error.</summary>
    Event,
}

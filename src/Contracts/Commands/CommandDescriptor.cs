namespace Messaging.Contracts.Commands;

/// <summary>
/// One command type as every part of the system sees it: its name, its bus message type, the queue (and
/// exchange) it is sent to, and the provider that executes it. Made by the type's registration
/// (<c>AddCommandType</c>), never by hand; <see cref="CommandTypeRegistry"/> holds them all.
/// </summary>
/// <param name="TypeName">The name used in the HTTP API, lower case, for example <c>payments.charge</c>.</param>
/// <param name="MessageType">The message contract on the bus; its full name is the wire format.</param>
/// <param name="QueueName">The durable quorum queue and the fanout exchange of the same name.</param>
/// <param name="Provider">The external provider that executes it; its endpoints' breakers are named <c>{Provider}@host:port</c>.</param>
public sealed record CommandDescriptor(string TypeName, Type MessageType, string QueueName, string Provider)
{
    /// <summary>The request body the gateway reads and validates for this type, when the gateway accepts it over HTTP.</summary>
    public Type? RequestType { get; init; }

    /// <summary>
    /// The JSON Schema (draft 2020-12) of the request body, when the type declares one (types declared in
    /// configuration do); a type registered in code is described by its <see cref="RequestType"/> instead.
    /// </summary>
    public string? JsonSchema { get; init; }

    /// <summary>The events its fallback may publish (through the outbox, by type): the relay publishes only declared event types.</summary>
    public IReadOnlyList<Type> EventTypes { get; init; } = [];

    /// <summary>
    /// Whether the handler addresses each command's requests itself (completion callbacks): the provider has no declared
    /// endpoints, and its breakers, one per address, do not pause the type's endpoint (one failing address must not hold
    /// back the others).
    /// </summary>
    public bool AddressedPerCommand { get; init; }

    /// <summary>The deadline of a command submitted without <c>Command-Timeout</c>, unless <c>Commands:Types:&lt;type&gt;:DefaultTimeout</c> says otherwise.</summary>
    /// <value>The default value is 1 hour.</value>
    public TimeSpan DefaultTimeout { get; init; } = TimeSpan.FromHours(1);
}

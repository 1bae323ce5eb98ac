namespace Messaging.Store.Outbox;

/// <summary>One message to deliver through the outbox.</summary>
/// <param name="CommandId">The command id; also the transport message id.</param>
/// <param name="Destination">The exchange (and queue) name to send to.</param>
/// <param name="MessageType">The full CLR name of the message contract (see <c>CommandTypeRegistry</c>).</param>
/// <param name="Body">The message serialized as JSON.</param>
/// <param name="Headers">Transport headers (tenant, deadline, attempt, W3C trace context).</param>
/// <param name="NotBefore">When the message becomes due (now, or later for a delayed retry).</param>
/// <param name="Kind">A command (sent to its queue, which must exist) or an event (published by type).</param>
public sealed record OutboxMessage(
    Guid CommandId,
    string Destination,
    string MessageType,
    string Body,
    IReadOnlyDictionary<string, string> Headers,
    DateTimeOffset NotBefore,
    OutboxMessageKind Kind = OutboxMessageKind.Command);

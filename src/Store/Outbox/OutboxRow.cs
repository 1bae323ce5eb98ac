namespace Messaging.Store.Outbox;

/// <summary>
/// An outbox row as the relay claimed it (<see cref="OutboxClaims.ClaimAsync"/>). <see cref="Body"/> and
/// <see cref="Headers"/> are the UTF-8 JSON text of their <c>jsonb</c> columns, so a command's body goes into its
/// envelope as it is; <see cref="DueAt"/> is when the row became due (written, or its retry time), the start of the
/// publish latency the metrics record.
/// </summary>
internal sealed record OutboxRow(long Id, Guid CommandId, string Destination, string MessageType, byte[] Body, byte[] Headers, int PublishAttempts, bool IsEvent,
    DateTimeOffset DueAt);

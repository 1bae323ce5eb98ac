namespace Messaging.Client;

/// <summary>The outbox backlog.</summary>
/// <param name="Pending">Rows not yet delivered.</param>
/// <param name="OldestPendingSeconds">Age of the oldest of them.</param>
public sealed record OutboxInfo(long? Pending, double? OldestPendingSeconds);

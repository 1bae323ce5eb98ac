namespace Messaging.Store.Outbox;

/// <summary>The outcome of <see cref="CommandOutbox.EnqueueAsync{TCommand}"/>.</summary>
/// <param name="Id">The command id (its status is at <c>/api/commands/{id}</c>).</param>
/// <param name="Replayed">True when the idempotency key named an earlier command and nothing new was written.</param>
public sealed record EnqueuedCommand(Guid Id, bool Replayed);

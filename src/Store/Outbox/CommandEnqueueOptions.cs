namespace Messaging.Store.Outbox;

/// <summary>How one command is enqueued through <see cref="CommandOutbox"/>.</summary>
public sealed record CommandEnqueueOptions
{
    /// <summary>
    /// Who enqueues the command, stored as its client id (for example the service's name,
    /// <c>order-service</c>). Required.
    /// </summary>
    public required string ClientId { get; init; }

    /// <summary>
    /// An optional idempotency key (1–255 visible ASCII), scoped per tenant and shared with the HTTP API's
    /// <c>Idempotency-Key</c>: the same key and request again returns the first command.
    /// </summary>
    public string? IdempotencyKey { get; init; }

    /// <summary>How long the command may take, whole seconds from 1 second to 1 day (as <c>Command-Timeout</c>).</summary>
    /// <value>The default is <see cref="CommandOutboxOptions.DefaultTimeout"/> (unless <see cref="Deadline"/> is given).</value>
    public TimeSpan? Timeout { get; init; }

    /// <summary>An absolute deadline instead of <see cref="Timeout"/>.</summary>
    public DateTimeOffset? Deadline { get; init; }

    /// <summary>
    /// Run the command no earlier than this (as the HTTP API's <c>Not-Before</c>, at most 30 days ahead): it is stored
    /// <c>Scheduled</c> and published when it is due, and a <see cref="Timeout"/> counts from it. Null runs it at once.
    /// </summary>
    public DateTimeOffset? NotBefore { get; init; }
}

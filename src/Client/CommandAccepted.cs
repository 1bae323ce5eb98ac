namespace Messaging.Client;

/// <summary>The gateway's answer to a send: the command is stored and will be executed.</summary>
public sealed record CommandAccepted
{
    /// <summary>The command id.</summary>
    public required Guid Id { get; init; }

    /// <summary>The command type.</summary>
    public required string Type { get; init; }

    /// <summary>The status at acceptance: <see cref="CommandStatus.Accepted"/>, or <see cref="CommandStatus.Scheduled"/> with a <c>NotBefore</c> still to come.</summary>
    public required CommandStatus Status { get; init; }

    /// <summary>Where to read its status, relative to the gateway.</summary>
    public required string StatusUrl { get; init; }

    /// <summary>True when the gateway answered with the first response for this idempotency key (<c>Idempotent-Replayed</c>).</summary>
    public bool Replayed { get; init; }

    /// <summary>The idempotency key the send used (the caller's, or the one the client made).</summary>
    public string IdempotencyKey { get; init; } = "";

    /// <summary>
    /// Which durable path accepted it: <c>outbox</c> (PostgreSQL, the normal path) or <c>direct</c> (published
    /// straight to RabbitMQ with a confirm while PostgreSQL was unavailable). Null from gateways that do not say.
    /// </summary>
    public string? AcceptedVia { get; init; }
}

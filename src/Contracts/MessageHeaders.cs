namespace Messaging.Contracts;

/// <summary>
/// Names of the transport headers every command message carries. The values are part of the wire
/// format: renaming one breaks messages already in queues and outboxes.
/// </summary>
public static class MessageHeaders
{
    /// <summary>The tenant the command belongs to.</summary>
    public const string Tenant = "Messaging-Tenant";

    /// <summary>The client id that submitted the command.</summary>
    public const string Client = "Messaging-Client";

    /// <summary>The command type name, for example <c>payments.charge</c>.</summary>
    public const string CommandType = "Messaging-Command-Type";

    /// <summary>The absolute deadline of the command, ISO 8601 in UTC.</summary>
    public const string Deadline = "Messaging-Deadline";

    /// <summary>The attempt number, starting at 1.</summary>
    public const string Attempt = "Messaging-Attempt";

    /// <summary>
    /// The caller's <c>Idempotency-Key</c>, on a command the gateway published directly (PostgreSQL was
    /// down): the worker that creates the command's status row records the key for the tenant.
    /// </summary>
    public const string IdempotencyKey = "Messaging-Idempotency-Key";

    /// <summary>The hash of the request that used <see cref="IdempotencyKey"/> (base64 SHA-256), to tell a replay from a reuse.</summary>
    public const string IdempotencyHash = "Messaging-Idempotency-Hash";

    /// <summary>Until when <see cref="IdempotencyKey"/> is remembered, ISO 8601 in UTC.</summary>
    public const string IdempotencyExpires = "Messaging-Idempotency-Expires";

    /// <summary>How the gateway accepted the command: <c>outbox</c> or <c>direct</c> (published while PostgreSQL was down).</summary>
    public const string AcceptedVia = "Messaging-Accepted-Via";

    /// <summary>
    /// The signature of a command published directly (<see cref="AcceptedVia"/> <c>direct</c>): HMAC-SHA256 under
    /// <c>Messaging:SigningKeys</c> over the command id, tenant, client, type, deadline, attempt, accepted-via, the
    /// idempotency headers and the hash of the payload. A worker creates no row for a direct command without it.
    /// </summary>
    public const string Signature = "Messaging-Signature";

    /// <summary>
    /// When the command's first attempt failed (ISO 8601, UTC), set on its first delayed retry and carried by the later
    /// ones: what <c>Commands:Types:&lt;type&gt;:Retry:MaxRetryPeriod</c> counts from. A redrive starts without it.
    /// </summary>
    public const string FirstFailure = "Messaging-First-Failure";

    /// <summary>W3C trace context restored from the outbox row.</summary>
    public const string TraceParent = "traceparent";

    /// <summary>W3C trace state restored from the outbox row.</summary>
    public const string TraceState = "tracestate";
}

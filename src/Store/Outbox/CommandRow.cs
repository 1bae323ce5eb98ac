namespace Messaging.Store.Outbox;

/// <summary>The <c>commands</c> status row of a new command, as the status API reads it.</summary>
/// <param name="Id">The command id (also the message id and the provider's idempotency key).</param>
/// <param name="Tenant">The tenant that owns the command.</param>
/// <param name="ClientId">Who submitted it (an API client id, or the name of a service using the outbox library).</param>
/// <param name="TypeName">The command type, for example <c>payments.charge</c>.</param>
/// <param name="Payload">The request fields as JSON (camelCase, no command id or tenant).</param>
/// <param name="IdempotencyKey">The caller's idempotency key, if any.</param>
/// <param name="Deadline">When the command expires.</param>
/// <param name="Now">The acceptance time (microsecond precision, as PostgreSQL stores it).</param>
/// <param name="NotBefore">
/// When the command may run, if later than <paramref name="Now"/> (a <c>Not-Before</c>): the command is stored
/// <c>Scheduled</c> and its outbox row is due then. Null runs it at once.
/// </param>
/// <param name="CallbackUrl">
/// Where the signed event goes when the command ends (a checked <c>Callback-Url</c>, normalised), or null for the default of
/// <paramref name="ClientId"/> (<c>clients.callback_url</c>, read when the row is written), if it has one.
/// </param>
public sealed record CommandRow(
    Guid Id,
    string Tenant,
    string ClientId,
    string TypeName,
    string Payload,
    string? IdempotencyKey,
    DateTimeOffset Deadline,
    DateTimeOffset Now,
    DateTimeOffset? NotBefore = null,
    string? CallbackUrl = null)
{
    /// <summary>Whether the command waits for a <see cref="NotBefore"/> after its acceptance.</summary>
    public bool IsScheduled => NotBefore is { } notBefore && notBefore > Now;

    /// <summary>When its first outbox row is due: <see cref="NotBefore"/>, or at once.</summary>
    public DateTimeOffset DueAt => IsScheduled ? NotBefore!.Value : Now;
}

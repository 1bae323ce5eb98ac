namespace Messaging.Store.Outbox;

/// <summary>The idempotency key was already used for a different request of the same tenant.</summary>
public sealed class IdempotencyKeyReusedException : Exception
{
    /// <summary>Creates the exception for <paramref name="key"/>.</summary>
    public IdempotencyKeyReusedException(string key)
        : base("This idempotency key was already used for a different request of the tenant. Use a new key for a new command.") =>
        Key = key;

    /// <summary>Creates the exception without a key.</summary>
    public IdempotencyKeyReusedException()
        : this("")
    {
    }

    /// <summary>Creates the exception with a message and an inner exception.</summary>
    public IdempotencyKeyReusedException(string message, Exception innerException)
        : base(message, innerException) =>
        Key = "";

    /// <summary>The key that was reused.</summary>
    public string Key { get; }
}

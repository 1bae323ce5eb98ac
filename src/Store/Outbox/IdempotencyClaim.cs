namespace Messaging.Store.Outbox;

/// <summary>What an idempotency key already stands for, inside the transaction that claimed it.</summary>
public abstract record IdempotencyClaim
{
    /// <summary>The key is unused (or its record expired and was removed): this request may store its command.</summary>
    public sealed record Free : IdempotencyClaim;

    /// <summary>Another transaction holds the key right now.</summary>
    public sealed record InFlight : IdempotencyClaim;

    /// <summary>The key was used by a committed request.</summary>
    /// <param name="RequestHash">The hash of that request (see <see cref="CommandRows.RequestHash"/>).</param>
    /// <param name="CommandId">The command it created.</param>
    /// <param name="ResponseBody">The stored 202 body, JSON.</param>
    public sealed record Stored(byte[] RequestHash, Guid CommandId, string ResponseBody) : IdempotencyClaim;
}

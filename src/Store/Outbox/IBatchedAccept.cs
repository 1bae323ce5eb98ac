namespace Messaging.Store.Outbox;

/// <summary>A command accepted in a group commit, as <see cref="CommandLedger.AcceptBatch"/> writes its rows.</summary>
public interface IBatchedAccept
{
    /// <summary>The <c>commands</c> row (its <see cref="CommandRow.IdempotencyKey"/> says whether a key record is written).</summary>
    CommandRow Row { get; }

    /// <summary>The outbox message that carries the command to its queue.</summary>
    OutboxMessage Message { get; }

    /// <summary>The request's hash for the idempotency record; null without a key.</summary>
    byte[]? RequestHash { get; }

    /// <summary>When the idempotency record expires; null without a key.</summary>
    DateTimeOffset? KeyExpiresAt { get; }

    /// <summary>The 202 body to store with the key (JSON); null without a key.</summary>
    string? StoredResponse();
}

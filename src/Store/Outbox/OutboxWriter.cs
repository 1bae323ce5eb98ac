using Npgsql;

namespace Messaging.Store.Outbox;

/// <summary>
/// Writes outbox rows inside the caller's transaction, so the message commits or rolls back with the
/// caller's own changes. Call <see cref="OutboxSignal.Notify"/> after the commit to wake the relay.
/// Its statement is the command ledger's (<c>CommandLedger.InsertOutboxAsync</c>).
/// </summary>
public sealed class OutboxWriter(TimeProvider timeProvider)
{
    /// <summary>Adds <paramref name="message"/> to the outbox within <paramref name="transaction"/>.</summary>
    public async Task EnqueueAsync(NpgsqlTransaction transaction, OutboxMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        ArgumentNullException.ThrowIfNull(message);
        await CommandLedger.InsertOutboxAsync(transaction, message, timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }
}

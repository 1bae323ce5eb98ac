namespace Messaging.Store.Outbox;

/// <summary>
/// Wakes the outbox relay of this process as soon as a row is committed, so that delivery does not
/// wait for the next poll. Notifications coalesce: many commits while the relay is busy cause one
/// extra pass, not one per commit. Rows written by other processes are found by polling.
/// </summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    /// <summary>Tells the relay that rows are waiting. Cheap and non-blocking.</summary>
    public void Notify()
    {
        try
        {
            _signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled: the relay will make one more pass, which covers this row too.
        }
    }

    /// <summary>Waits for a notification or until <paramref name="timeout"/> passes (the polling fallback).</summary>
    /// <returns>True when notified, false when the timeout passed.</returns>
    public async ValueTask<bool> WaitAsync(TimeSpan timeout, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        using var timeoutSource = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        try
        {
            await _signal.WaitAsync(linked.Token).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

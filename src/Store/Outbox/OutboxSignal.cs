namespace Messaging.Store.Outbox;

/// <summary>
/// Wakes the outbox relay of this process as soon as a row is committed, so that delivery does not
/// wait for the next poll. Notifications coalesce: many commits while the relay is busy cause one
/// extra pass, not one per commit. Rows written by other processes are found by polling.
/// </summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _signal = new(0, 1);

    // 1 while a notification is waiting to be taken. Only the caller that flips it from 0 releases the semaphore, so
    // a commit while the relay is already signalled costs one interlocked exchange, not a SemaphoreFullException
    // (thrown and caught on almost every commit under load: the profile of issue 23 showed it on the accept path).
    private int _pending;

    /// <summary>Tells the relay that rows are waiting. Cheap and non-blocking.</summary>
    public void Notify()
    {
        if (Interlocked.Exchange(ref _pending, 1) == 0)
        {
            _signal.Release();
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

            // Taken before the pass that follows: a commit from now on signals again, and one that signalled just before
            // this line committed its row before the pass starts, so the pass sees it.
            Volatile.Write(ref _pending, 0);
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }
}

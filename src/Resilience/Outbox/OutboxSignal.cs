namespace Messaging.Resilience.Outbox;

/// <summary>
/// Wakes the outbox relay as soon as a writer has committed new rows, so a command does not wait for
/// the relay's next poll. Signals coalesce: any number of <see cref="Notify"/> calls between two waits
/// wake the relay once (it then drains everything due). A lost signal only costs one poll interval,
/// because the relay also wakes when its wait times out.
/// </summary>
public sealed class OutboxSignal
{
    private readonly SemaphoreSlim _pending = new(0, 1);
    private readonly Lock _gate = new();

    /// <summary>Records that rows were committed. Cheap and non-blocking; call it after the commit.</summary>
    public void Notify()
    {
        lock (_gate)
        {
            if (_pending.CurrentCount == 0)
            {
                _pending.Release();
            }
        }
    }

    /// <summary>
    /// Waits until <see cref="Notify"/> was called since the previous wait, or until <paramref name="timeout"/>
    /// has passed on <paramref name="time"/>, whichever comes first. Consumes the pending signal.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async ValueTask WaitAsync(TimeSpan timeout, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(time);
        if (_pending.Wait(0, CancellationToken.None))
        {
            return;
        }

        if (timeout <= TimeSpan.Zero)
        {
            cancellationToken.ThrowIfCancellationRequested();
            return;
        }

        using var timeoutSource = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeoutSource.Token, cancellationToken);
        // Cancelling a SemaphoreSlim wait removes the waiter, so a timed-out wait never swallows a later signal.
        await _pending.WaitAsync(linked.Token).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        cancellationToken.ThrowIfCancellationRequested();
    }
}

namespace Messaging.Resilience.Breakers;

/// <summary>
/// An async gate whose limit can change while it is in use (1 for a probe, then ramping up).
/// Lowering the limit never interrupts work already admitted; it only holds back new entries.
/// </summary>
public sealed class ConcurrencyGate
{
    private readonly Lock _lock = new();
    private readonly Queue<TaskCompletionSource<IDisposable>> _waiters = new();
    private int _limit;
    private int _inUse;

    /// <summary>Creates a gate admitting <paramref name="limit"/> at once.</summary>
    public ConcurrencyGate(int limit) => _limit = Math.Max(1, limit);

    /// <summary>The current limit.</summary>
    public int Limit
    {
        get
        {
            lock (_lock)
            {
                return _limit;
            }
        }
    }

    /// <summary>Work admitted and not yet released.</summary>
    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _inUse;
            }
        }
    }

    /// <summary>Waits for a slot; dispose the returned handle to release it.</summary>
    public ValueTask<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource<IDisposable> waiter;
        lock (_lock)
        {
            if (_inUse < _limit && _waiters.Count == 0)
            {
                _inUse++;
                return ValueTask.FromResult<IDisposable>(new Slot(this));
            }

            waiter = new TaskCompletionSource<IDisposable>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Enqueue(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            cancellationToken.Register(static state =>
            {
                var (gate, tcs) = ((ConcurrencyGate, TaskCompletionSource<IDisposable>))state!;
                if (tcs.TrySetCanceled())
                {
                    gate.Admit();
                }
            }, (this, waiter));
        }

        return new ValueTask<IDisposable>(waiter.Task);
    }

    /// <summary>Changes the limit, admitting waiters if it grew.</summary>
    public void SetLimit(int limit)
    {
        lock (_lock)
        {
            _limit = Math.Max(1, limit);
        }

        Admit();
    }

    /// <summary>Lets every waiter through at once, whatever the limit (used when pausing: they meet the open breaker and go back).</summary>
    public void ReleaseAllWaiters()
    {
        List<TaskCompletionSource<IDisposable>> waiting;
        lock (_lock)
        {
            waiting = [.. _waiters];
            _waiters.Clear();
            _inUse += waiting.Count;
        }

        foreach (var waiter in waiting)
        {
            if (!waiter.TrySetResult(new Slot(this)))
            {
                Release();
            }
        }
    }

    private void Release()
    {
        lock (_lock)
        {
            _inUse--;
        }

        Admit();
    }

    private void Admit()
    {
        while (true)
        {
            TaskCompletionSource<IDisposable> next;
            lock (_lock)
            {
                if (_inUse >= _limit || _waiters.Count == 0)
                {
                    return;
                }

                next = _waiters.Dequeue();
                _inUse++;
            }

            if (!next.TrySetResult(new Slot(this)))
            {
                // Cancelled meanwhile: give the slot back and try the next waiter.
                lock (_lock)
                {
                    _inUse--;
                }
            }
        }
    }

    private sealed class Slot(ConcurrencyGate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0)
            {
                gate.Release();
            }
        }
    }
}

using System.Runtime.ExceptionServices;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// Redis calls that were sent without waiting and are watched together by one execution of the <c>redis</c>
/// pipeline: that execution applies the pipeline's attempt timeout to every call of the group and gives its breaker
/// (failures, slow calls) one outcome for the group. One pipeline execution per group instead of one per call is
/// what makes a decision cost about what the bare <c>EVALSHA</c> costs. A group takes calls until the first of them
/// has answered (about one round trip); the calls after that start the next group, so a group never outlives the
/// pipeline's timeout because of a steady stream of newcomers.
/// </summary>
internal sealed class RedisCallGroup
{
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _failed = new();
    private Task[] _calls;
    private int _count;
    private bool _closed;

    /// <summary>A group whose first call is <paramref name="first"/>.</summary>
    public RedisCallGroup(Task first)
    {
        _calls = new Task[8];
        _calls[0] = first;
        _count = 1;
    }

    /// <summary>Cancelled when the group's execution failed (timeout, open breaker, a failed call): stop waiting then.</summary>
    public CancellationToken Failed => _failed.Token;

    /// <summary>Why the group failed (set before <see cref="Failed"/> is cancelled).</summary>
    public Exception? Error { get; private set; }

    /// <summary>Adds a call to the group unless the group no longer takes calls.</summary>
    public bool TryAdd(Task call)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return false;
            }

            if (_count == _calls.Length)
            {
                Array.Resize(ref _calls, _count * 2);
            }

            _calls[_count++] = call;
            return true;
        }
    }

    /// <summary>
    /// The pipeline's callback: waits for every call of the group within <paramref name="cancellationToken"/> (the
    /// pipeline's timeouts), and fails like a single call would when one of them failed. A call Redis refused because
    /// it does not know the script is not a failure: its caller loads the script.
    /// </summary>
    public async ValueTask WatchAsync(CancellationToken cancellationToken)
    {
        await SettleAsync(_calls[0], cancellationToken).ConfigureAwait(false);
        int count;
        lock (_lock)
        {
            _closed = true;
            count = _count;
        }

        for (var i = 1; i < count; i++)
        {
            await SettleAsync(_calls[i], cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Marks the group failed: its callers still waiting stop and decide locally.</summary>
    public void Fail(Exception error)
    {
        lock (_lock)
        {
            _closed = true;
        }

        Error = error;
        _failed.Cancel();
    }

    private static async ValueTask SettleAsync(Task call, CancellationToken cancellationToken)
    {
        if (!call.IsCompleted)
        {
            await call.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            cancellationToken.ThrowIfCancellationRequested();
        }

        if (call.IsFaulted && call.Exception.InnerException is { } error && !StoreReplies.IsUnknownScript(error))
        {
            ExceptionDispatchInfo.Throw(error);
        }
    }
}

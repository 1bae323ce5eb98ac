
namespace Messaging.Resilience.Pipelines;

/// <summary>
/// Caps the retries made to one dependency to a share of the calls made to it over a sliding window,
/// with a small floor. During an outage every call fails, so without a budget each caller's retries
/// multiply the load on the dependency exactly when it can least take it; with one, retries stay a
/// bounded fraction of traffic. One budget per dependency is shared by every layer that retries it.
/// </summary>
public sealed class RetryBudget
{
    private const int BucketCount = 10;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly long[] _calls = new long[BucketCount];
    private readonly long[] _retries = new long[BucketCount];
    private readonly long[] _bucketIds = Enumerable.Repeat(long.MinValue / 2, BucketCount).ToArray();
    private RetryBudgetOptions _options;
    private long _sliceTicks;

    /// <summary>Creates a budget.</summary>
    public RetryBudget(RetryBudgetOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _options = options;
        _sliceTicks = SliceTicks(options);
        _timeProvider = timeProvider;
    }

    /// <summary>Replaces the settings (configuration reload); the counts are kept.</summary>
    public void Update(RetryBudgetOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _sliceTicks = SliceTicks(options);
    }

    /// <summary>Counts one call (a first attempt). Lock-free unless a new slice of the window begins.</summary>
    public void RecordCall() => RecordCall(_timeProvider.GetUtcNow());

    /// <summary>Counts one call made at <paramref name="now"/> (read from the same clock by the caller).</summary>
    internal void RecordCall(DateTimeOffset now)
    {
        var slice = now.UtcTicks / _sliceTicks;
        var index = (int)(slice % BucketCount);
        if (Volatile.Read(ref _bucketIds[index]) == slice)
        {
            Interlocked.Increment(ref _calls[index]);
            return;
        }

        lock (_lock)
        {
            _calls[Enter(slice)]++;
        }
    }

    /// <summary>Takes one retry from the budget if there is room.</summary>
    /// <returns>False when the budget is spent: the failure should be returned at once.</returns>
    public bool TryWithdrawRetry()
    {
        lock (_lock)
        {
            var slice = CurrentSlice();
            var (calls, retries) = Totals(slice);
            var allowed = Math.Max(_options.MinRetriesPerSecond * _options.Window.TotalSeconds, _options.RetryRatio * calls);
            if (retries + 1 > allowed)
            {
                return false;
            }

            _retries[Enter(slice)]++;
            return true;
        }
    }

    /// <summary>Calls and retries in the current window.</summary>
    public (long Calls, long Retries) Snapshot()
    {
        lock (_lock)
        {
            return Totals(CurrentSlice());
        }
    }

    private static long SliceTicks(RetryBudgetOptions options) => Math.Max(1, options.Window.Ticks / BucketCount);

    private long CurrentSlice() => _timeProvider.GetUtcNow().UtcTicks / _sliceTicks;

    // Each bucket holds one slice of the window; a bucket whose slice has left the window is reused.
    private int Enter(long slice)
    {
        var index = (int)(slice % BucketCount);
        if (_bucketIds[index] != slice)
        {
            _bucketIds[index] = slice;
            _calls[index] = 0;
            _retries[index] = 0;
        }

        return index;
    }

    private (long Calls, long Retries) Totals(long slice)
    {
        long calls = 0, retries = 0;
        for (var i = 0; i < BucketCount; i++)
        {
            if (slice - _bucketIds[i] < BucketCount)
            {
                calls += _calls[i];
                retries += _retries[i];
            }
        }

        return (calls, retries);
    }
}

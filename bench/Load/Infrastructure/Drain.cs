using System.Diagnostics;

namespace Messaging.Load.Infrastructure;

/// <summary>
/// Completion times of a fixed amount of work (a drain), turned into a steady rate: the work done between the
/// 10th and the 90th percentile of completions, so start-up and the tail do not count.
/// </summary>
internal sealed class Drain(int total)
{
    private readonly long[] _completed = new long[total];
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public bool IsComplete => Count >= total;

    public void Completed()
    {
        var index = Interlocked.Increment(ref _count) - 1;
        if (index < _completed.Length)
        {
            _completed[index] = Stopwatch.GetTimestamp();
        }
    }

    public double SteadyRate()
    {
        var n = Math.Min(Count, _completed.Length);
        if (n < 10)
        {
            return double.NaN;
        }

        var times = _completed[..n];
        Array.Sort(times);
        var from = times[(int)(n * 0.1)];
        var to = times[(int)(n * 0.9)];
        return (n * 0.8) / Stopwatch.GetElapsedTime(from, to).TotalSeconds;
    }

    public async Task WaitAsync(TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!IsComplete && watch.Elapsed < timeout)
        {
            await Task.Delay(50).ConfigureAwait(false);
        }
    }
}

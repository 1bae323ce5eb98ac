using System.Diagnostics;

namespace Messaging.Load.Infrastructure;

/// <summary>One operation of a load: true when it succeeded (an expected answer), false for an error answer.</summary>
internal delegate ValueTask<bool> Operation(CancellationToken cancellationToken);

/// <summary>
/// Drives an operation in one of two ways. Closed loop: N clients, each starting its next request when the last
/// one ended (the maximum throughput at that concurrency). Open model: requests start at a constant arrival
/// rate whatever the answers do (no request waits for an earlier answer, so a slow target sees its queue grow
/// and its latency with it: no coordinated omission). The timer ticks about every 4 ms on this kernel, so
/// requests start in small bursts per tick; each latency counts from the request's actual start, not from
/// its scheduled time, so the generator's own tick lag is not charged to the target.
/// </summary>
internal static class LoadRunner
{
    // More outstanding requests than this in the open model means the target cannot keep up: later ones are dropped and counted.
    private const int MaxOutstanding = 20_000;

    public static async Task<LoadResult> ClosedLoopAsync(int concurrency, TimeSpan warmup, TimeSpan duration, Operation operation)
    {
        using var stop = new CancellationTokenSource();
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureUntil = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var recorders = new LatencyRecorder[concurrency];
        var usage = new UsageProbe();
        var workers = new Task[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            var recorder = recorders[i] = new LatencyRecorder();
            workers[i] = Task.Run(async () =>
            {
                while (true)
                {
                    var begin = Stopwatch.GetTimestamp();
                    if (begin >= measureUntil)
                    {
                        return;
                    }

                    bool ok;
                    try
                    {
                        ok = await operation(stop.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or TimeoutException)
                    {
                        ok = false;
                    }

                    var end = Stopwatch.GetTimestamp();
                    if (begin >= measureFrom && end <= measureUntil)
                    {
                        recorder.Record(end - begin, ok);
                    }
                }
            });
        }

        await WaitUntilAsync(measureFrom).ConfigureAwait(false);
        usage.Start();
        await WaitUntilAsync(measureUntil).ConfigureAwait(false);
        usage.Stop();
        await Task.WhenAll(workers).ConfigureAwait(false);
        return LoadResult.From(recorders, duration, dropped: 0, usage);
    }

    public static async Task<LoadResult> OpenModelAsync(double rate, TimeSpan warmup, TimeSpan duration, Operation operation)
    {
        var recorder = new LatencyRecorder();
        var start = Stopwatch.GetTimestamp();
        var measureFrom = start + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        var measureUntil = measureFrom + (long)(duration.TotalSeconds * Stopwatch.Frequency);
        var interval = Stopwatch.Frequency / rate;
        var outstanding = 0;
        var dropped = 0;
        var running = new List<Task>();
        var usage = new UsageProbe();
        var usageStarted = false;
        long index = 0;
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            if (!usageStarted && now >= measureFrom)
            {
                usage.Start();
                usageStarted = true;
            }

            // Start every request whose scheduled time has come (the timer ticks about every 4 ms here).
            long scheduled;
            while ((scheduled = start + (long)(index * interval)) <= now)
            {
                index++;
                if (scheduled >= measureUntil)
                {
                    break;
                }

                var measured = scheduled >= measureFrom;
                if (Volatile.Read(ref outstanding) >= MaxOutstanding)
                {
                    if (measured)
                    {
                        Interlocked.Increment(ref dropped);
                    }

                    continue;
                }

                Interlocked.Increment(ref outstanding);
                running.Add(RunOneAsync(measured));
            }

            if (scheduled >= measureUntil)
            {
                break;
            }

            running.RemoveAll(t => t.IsCompleted);
            await Task.Delay(1).ConfigureAwait(false);
        }

        usage.Stop();
        await Task.WhenAll(running).ConfigureAwait(false);
        return LoadResult.From([recorder], duration, dropped, usage);

        async Task RunOneAsync(bool measured)
        {
            await Task.Yield();
            var begin = Stopwatch.GetTimestamp();
            bool ok;
            try
            {
                ok = await operation(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or IOException or TimeoutException)
            {
                ok = false;
            }

            var end = Stopwatch.GetTimestamp();
            Interlocked.Decrement(ref outstanding);
            if (measured)
            {
                lock (recorder)
                {
                    recorder.Record(end - begin, ok);
                }
            }
        }
    }

    private static async Task WaitUntilAsync(long timestamp)
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        if (left > TimeSpan.Zero)
        {
            await Task.Delay(left).ConfigureAwait(false);
        }
    }
}

/// <summary>Latencies (Stopwatch ticks) of the successful operations, and the count of failed ones.</summary>
internal sealed class LatencyRecorder
{
    public List<long> Latencies { get; } = new(4096);

    public long Errors { get; private set; }

    public void Record(long ticks, bool ok)
    {
        if (ok)
        {
            Latencies.Add(ticks);
        }
        else
        {
            Errors++;
        }
    }
}

/// <summary>What one load run measured.</summary>
internal sealed record LoadResult(long Succeeded, long Errors, long Dropped, double Seconds, double P50Ms, double P99Ms, double MaxMs, Usage Usage)
{
    public double Throughput => Succeeded / Seconds;

    /// <summary>A result measured another way (a drain, or latencies read back from the database).</summary>
    public static LoadResult Of(long count, double seconds, double p50Ms, double p99Ms, double maxMs, Usage usage) =>
        new(count, 0, 0, seconds, p50Ms, p99Ms, maxMs, usage);

    public static LoadResult From(IEnumerable<LatencyRecorder> recorders, TimeSpan duration, long dropped, UsageProbe usage)
    {
        var all = recorders.SelectMany(r => r.Latencies).ToArray();
        var errors = recorders.Sum(r => r.Errors);
        Array.Sort(all);
        return new LoadResult(all.Length, errors, dropped, duration.TotalSeconds, Percentile(all, 0.50), Percentile(all, 0.99),
            all.Length == 0 ? double.NaN : ToMs(all[^1]), usage.Result);
    }

    public static double Percentile(long[] sorted, double quantile) =>
        sorted.Length == 0 ? double.NaN : ToMs(sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(quantile * sorted.Length) - 1)]);

    private static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}

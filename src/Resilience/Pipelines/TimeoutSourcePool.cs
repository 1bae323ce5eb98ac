using System.Collections.Concurrent;

namespace Messaging.Resilience.Pipelines;

/// <summary>
/// Reusable cancellation sources for attempt timeouts, as Polly pools them for its own timeout strategy:
/// one shared pool for the system clock, one per strategy for any other clock (a fake one in tests). A
/// source is reset and kept after an attempt that did not cancel it, and disposed after one that did.
/// </summary>
internal sealed class TimeoutSourcePool
{
    private static readonly int Capacity = Environment.ProcessorCount * 2;
    private static readonly TimeoutSourcePool System = new(TimeProvider.System);

    private readonly TimeProvider _timeProvider;
    private readonly ConcurrentQueue<CancellationTokenSource> _sources = new();
    private CancellationTokenSource? _fast;
    private int _count;

    private TimeoutSourcePool(TimeProvider timeProvider) => _timeProvider = timeProvider;

    /// <summary>The pool for <paramref name="timeProvider"/>.</summary>
    public static TimeoutSourcePool For(TimeProvider timeProvider) =>
        timeProvider == TimeProvider.System ? System : new TimeoutSourcePool(timeProvider);

    /// <summary>A source that cancels itself after <paramref name="delay"/> on this pool's clock.</summary>
    public CancellationTokenSource Rent(TimeSpan delay)
    {
        var source = _fast;
        if (source is null || Interlocked.CompareExchange(ref _fast, null, source) != source)
        {
            if (_sources.TryDequeue(out source))
            {
                Interlocked.Decrement(ref _count);
            }
            else
            {
                source = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _timeProvider);
            }
        }

        source.CancelAfter(delay);
        return source;
    }

    /// <summary>Takes a source back after its attempt (and its registrations) ended.</summary>
    public void Return(CancellationTokenSource source)
    {
        if (!source.TryReset())
        {
            source.Dispose();
            return;
        }

        if (_fast is null && Interlocked.CompareExchange(ref _fast, source, null) is null)
        {
            return;
        }

        if (Interlocked.Increment(ref _count) <= Capacity)
        {
            _sources.Enqueue(source);
            return;
        }

        Interlocked.Decrement(ref _count);
        source.Dispose();
    }
}

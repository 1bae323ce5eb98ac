using Polly;

namespace Messaging.Resilience.Deadlines;

/// <summary>
/// The one absolute deadline of a command. It travels in the message; every nested timeout (total,
/// attempt, PostgreSQL, Redis, HTTP) is the smaller of its own limit and the time left, so nothing
/// nested outlives its parent.
/// </summary>
public readonly record struct Deadline(DateTimeOffset At)
{
    /// <summary>The key under which a pipeline execution carries its deadline.</summary>
    public static readonly ResiliencePropertyKey<Deadline> PropertyKey = new("Messaging.Deadline");

    /// <summary>The time left (zero when passed).</summary>
    public TimeSpan Remaining(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        var left = At - timeProvider.GetUtcNow();
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>Whether the deadline has passed.</summary>
    public bool HasPassed(TimeProvider timeProvider) => Remaining(timeProvider) == TimeSpan.Zero;

    /// <summary>The smaller of <paramref name="ownLimit"/> and the time left.</summary>
    public TimeSpan Bound(TimeSpan ownLimit, TimeProvider timeProvider)
    {
        var left = Remaining(timeProvider);
        return left < ownLimit ? left : ownLimit;
    }

    /// <summary>Reads the deadline a pipeline execution carries, if any.</summary>
    public static Deadline? From(ResilienceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return context.Properties.TryGetValue(PropertyKey, out var deadline) ? deadline : null;
    }

    /// <summary>Bounds <paramref name="ownLimit"/> by the deadline carried in <paramref name="context"/>, if any.</summary>
    public static TimeSpan Bound(ResilienceContext context, TimeSpan ownLimit, TimeProvider timeProvider)
    {
        var deadline = From(context);
        if (deadline is null)
        {
            return ownLimit;
        }

        // Polly's timeout refuses zero; a passed deadline times out at once instead.
        var bounded = deadline.Value.Bound(ownLimit, timeProvider);
        return bounded > TimeSpan.Zero ? bounded : TimeSpan.FromMilliseconds(1);
    }

    /// <summary>As <see cref="Bound(ResilienceContext, TimeSpan, TimeProvider)"/>, with the current time already read.</summary>
    internal static TimeSpan Bound(ResilienceContext context, TimeSpan ownLimit, DateTimeOffset now)
    {
        var deadline = From(context);
        if (deadline is null)
        {
            return ownLimit;
        }

        var left = deadline.Value.At - now;
        var bounded = left < ownLimit ? left : ownLimit;
        return bounded > TimeSpan.Zero ? bounded : TimeSpan.FromMilliseconds(1);
    }
}

using System.Collections.Concurrent;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// The same GCRA as the Redis script, in memory, for one instance: used while Redis is unreachable or slow,
/// with rules already scaled to the instance's share. One lock per scope; no allocation per decision once a
/// scope exists. Scopes whose buckets are full again are swept once there are many of them.
/// </summary>
internal sealed class LocalRateLimits(TimeProvider timeProvider)
{
    private const int SweepThreshold = 10_000;
    private readonly ConcurrentDictionary<string, Scope> _scopes = new(StringComparer.Ordinal);
    private readonly long _origin = timeProvider.GetTimestamp();
    private int _sweeping;

    /// <summary>Scopes currently held (for tests).</summary>
    public int Count => _scopes.Count;

    /// <summary>
    /// Takes permits from every bucket of <paramref name="scope"/>, all or nothing, with each rule scaled to
    /// <paramref name="share"/> (rate and burst; never below one permit).
    /// </summary>
    public StoreAnswer Acquire(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, double share = 1.0)
    {
        var now = Now();
        while (true)
        {
            var state = GetScope(scope, now);
            lock (state.Lock)
            {
                if (!state.Removed)
                {
                    return Acquire(state, buckets, permits, share, now);
                }
            }
        }
    }

    public void Pause(string scope, TimeSpan duration)
    {
        var now = Now();
        while (true)
        {
            var state = GetScope(scope, now);
            lock (state.Lock)
            {
                if (!state.Removed)
                {
                    state.PausedUntil = Math.Max(state.PausedUntil, now + duration.Ticks);
                    state.FullAt = state.FullAt == long.MaxValue ? state.PausedUntil : Math.Max(state.FullAt, state.PausedUntil);
                    return;
                }
            }
        }
    }

    private static StoreAnswer Acquire(Scope state, IReadOnlyList<RateLimitBucket> buckets, int permits, double share, long now)
    {
                if (permits > 0 && state.PausedUntil > now)
        {
            var wait = TimeSpan.FromTicks(state.PausedUntil - now);
            return new StoreAnswer(false, wait, 0, wait, -1);
        }

        var allowed = true;
        long retry = 0, remaining = -1, reset = 0;
        var index = 0;
        Span<long> tats = stackalloc long[buckets.Count];
        for (var i = 0; i < buckets.Count; i++)
        {
            var rule = buckets[i].Rule;
            var interval = share >= 1.0 ? rule.EmissionInterval.Ticks : (long)Math.Ceiling(rule.EmissionInterval.Ticks / share);
            var burst = share >= 1.0 ? rule.EffectiveBurst : Math.Max(1, (long)Math.Floor(rule.EffectiveBurst * share));
            var capacity = burst * interval;
            var tat = Math.Max(state.Tats.GetValueOrDefault(buckets[i].Name), now);
            var newTat = Math.Max(now, tat + (permits * interval));
            var ahead = newTat - now;
            if (ahead > capacity)
            {
                var wait = ahead - capacity;
                if (allowed || wait > retry)
                {
                    retry = wait;
                    reset = tat - now;
                    index = i;
                }

                allowed = false;
            }
            else if (allowed)
            {
                var left = (capacity - ahead) / interval;
                if (remaining < 0 || left < remaining)
                {
                    remaining = left;
                    reset = ahead;
                    index = i;
                }
            }

            tats[i] = newTat;
        }

        if (!allowed)
        {
            if (state.FullAt == long.MaxValue)
            {
                state.FullAt = Math.Max(now, state.PausedUntil);
            }

            return new StoreAnswer(false, TimeSpan.FromTicks(retry), 0, TimeSpan.FromTicks(reset), index);
        }

        for (var i = 0; i < buckets.Count; i++)
        {
            state.Tats[buckets[i].Name] = tats[i];
        }

        state.FullAt = state.PausedUntil;
        foreach (var tat in state.Tats.Values)
        {
            state.FullAt = Math.Max(state.FullAt, tat);
        }

        return new StoreAnswer(true, TimeSpan.Zero, Math.Max(0, remaining), TimeSpan.FromTicks(reset), index);
    }

    private Scope GetScope(string scope, long now)
    {
        if (_scopes.TryGetValue(scope, out var state))
        {
            return state;
        }

        state = _scopes.GetOrAdd(scope, static _ => new Scope());
        if (_scopes.Count > SweepThreshold)
        {
            Sweep(now);
        }

        return state;
    }

    // Ticks since this instance started, on the injected clock (monotonic with the system clock).
    private long Now() => timeProvider.GetElapsedTime(_origin).Ticks;

    private void Sweep(long now)
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (key, scope) in _scopes)
            {
                // A scope whose buckets are all full again behaves exactly like a new one: drop it. Marked under
                // its lock, so a caller holding a stale reference retries with a fresh scope instead of losing state.
                lock (scope.Lock)
                {
                    if (scope.FullAt <= now)
                    {
                        scope.Removed = true;
                        _scopes.TryRemove(key, out _);
                    }
                }
            }
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private sealed class Scope
    {
        public readonly Lock Lock = new();

        // Each bucket's theoretical arrival time, by bucket name (ticks since the instance started).
        public readonly Dictionary<string, long> Tats = new(StringComparer.Ordinal);
        public long PausedUntil;
        // A new scope is not swept before its first decision (it would be recreated, and swept again, forever).
        public long FullAt = long.MaxValue;
        public bool Removed;
    }
}

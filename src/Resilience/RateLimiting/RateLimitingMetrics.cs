using System.Diagnostics.Metrics;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// Rate limiting instruments on the <c>Messaging.Resilience</c> meter: <c>messaging.rate_limiting.decisions</c>
/// (tags <c>messaging.rate_limiting.policy</c>, <c>messaging.rate_limiting.result</c> = allowed|rejected,
/// <c>messaging.rate_limiting.source</c> = redis|local) and <c>messaging.rate_limiting.degraded</c> (1 while
/// this instance is on its local fallback). Also keeps this instance's rejections of the last minute.
/// </summary>
internal sealed class RateLimitingMetrics
{
    private const int Seconds = 60;
    private readonly Counter<long> _decisions;
    private readonly TimeProvider _timeProvider;
    private readonly long[] _rejected = new long[Seconds];
    private readonly long[] _slots = new long[Seconds];
    private readonly Lock _lock = new();
    private Func<bool> _degraded = static () => false;

    public RateLimitingMetrics(ResilienceMetrics metrics, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        _timeProvider = timeProvider;
        _decisions = metrics.Meter.CreateCounter<long>("messaging.rate_limiting.decisions", description: "Rate limit decisions, by policy, result and source.");
        metrics.Meter.CreateObservableGauge("messaging.rate_limiting.degraded", () => _degraded() ? 1 : 0,
            description: "1 while this instance decides rate limits locally because Redis is unreachable or slow.");
    }

    /// <summary>Tells the gauge where to read the state (set once by <see cref="DistributedRateLimits"/>).</summary>
    public void Observe(Func<bool> degraded) => _degraded = degraded;

    public void Record(string policy, bool allowed, RateLimitSource source)
    {
        _decisions.Add(1,
            new KeyValuePair<string, object?>("messaging.rate_limiting.policy", policy),
            new KeyValuePair<string, object?>("messaging.rate_limiting.result", allowed ? "allowed" : "rejected"),
            new KeyValuePair<string, object?>("messaging.rate_limiting.source", source == RateLimitSource.Redis ? "redis" : "local"));
        if (!allowed)
        {
            var second = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
            lock (_lock)
            {
                var slot = (int)(second % Seconds);
                if (_slots[slot] != second)
                {
                    _slots[slot] = second;
                    _rejected[slot] = 0;
                }

                _rejected[slot]++;
            }
        }
    }

    /// <summary>Rejections by this instance in the last 60 seconds.</summary>
    public long RejectedLastMinute()
    {
        var now = _timeProvider.GetUtcNow().ToUnixTimeSeconds();
        long total = 0;
        lock (_lock)
        {
            for (var i = 0; i < Seconds; i++)
            {
                if (now - _slots[i] < Seconds)
                {
                    total += _rejected[i];
                }
            }
        }

        return total;
    }
}

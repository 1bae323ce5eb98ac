using System.Diagnostics.Metrics;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Polly;
using StackExchange.Redis;

namespace Messaging.Resilience.Tests.RateLimiting;

/// <summary>
/// A <see cref="DistributedRateLimits"/> on a fake clock over a <see cref="ScriptedStore"/> (an in-memory store
/// that can be made to fail like an unreachable Redis), with its log and decision metrics captured.
/// </summary>
internal sealed class RateLimitingTestContext : IDisposable
{
    private readonly MeterFactory _meters = new();

    public RateLimitingTestContext(double instanceShare = 0.5, TimeSpan? probeInterval = null)
    {
        Options = new DistributedRateLimitingOptions { InstanceShare = instanceShare, ProbeInterval = probeInterval ?? TimeSpan.FromSeconds(5) };
        Metrics = new ResilienceMetrics(_meters);
        Decisions = new MetricCollector<long>(Metrics.Meter, "messaging.rate_limiting.decisions");
        Degraded = new MetricCollector<int>(Metrics.Meter, "messaging.rate_limiting.degraded");
        Store = new ScriptedStore(Time);
        Limits = new DistributedRateLimits(
            Store,
            ResiliencePipeline.Empty,
            new LocalRateLimits(Time),
            new StaticOptionsMonitor<DistributedRateLimitingOptions>(Options),
            Time,
            new RateLimitingMetrics(Metrics, Time),
            Logger);
    }

    public FakeTimeProvider Time { get; } = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    public DistributedRateLimitingOptions Options { get; }

    public ResilienceMetrics Metrics { get; }

    public MetricCollector<long> Decisions { get; }

    public MetricCollector<int> Degraded { get; }

    public ScriptedStore Store { get; }

    public FakeLogger<DistributedRateLimits> Logger { get; } = new();

    public DistributedRateLimits Limits { get; }

    /// <summary>Decisions recorded with <paramref name="result"/> and <paramref name="source"/>.</summary>
    public long Count(string result, string source) => Decisions.GetMeasurementSnapshot()
        .Where(m => Equals(m.Tags["messaging.rate_limiting.result"], result) && Equals(m.Tags["messaging.rate_limiting.source"], source))
        .Sum(m => m.Value);

    public void Dispose()
    {
        Decisions.Dispose();
        Degraded.Dispose();
        _meters.Dispose();
    }

    private sealed class MeterFactory : IMeterFactory
    {
        private readonly List<Meter> _meters = [];

        public Meter Create(MeterOptions options)
        {
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }

        public void Dispose() => _meters.ForEach(m => m.Dispose());
    }
}

/// <summary>An options monitor that always returns the same (mutable) instance.</summary>
internal sealed class StaticOptionsMonitor<T>(T value) : IOptionsMonitor<T>
{
    public T CurrentValue => value;

    public T Get(string? name) => value;

    public IDisposable? OnChange(Action<T, string?> listener) => null;
}

/// <summary>
/// A store that answers like Redis would (a full-share in-memory GCRA on the same fake clock), or fails like an
/// unreachable Redis while <see cref="Failing"/> is set. Counts the calls it receives.
/// </summary>
internal sealed class ScriptedStore(TimeProvider time) : IRateLimitStore
{
    private readonly LocalRateLimits _shared = new(time);

    public bool Failing { get; set; }

    public int Calls { get; private set; }

    public Task<StoreAnswer> AcquireAsync(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken)
    {
        Calls++;
        return Failing
            ? Task.FromException<StoreAnswer>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused))
            : Task.FromResult(_shared.Acquire(scope, buckets, permits));
    }

    public Task<RedisResult> StartAcquire(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits)
    {
        Calls++;
        if (Failing)
        {
            return Task.FromException<RedisResult>(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
        }

        // The reply the Redis script gives: {allowed, retry after µs, remaining, reset after µs, deciding bucket (1-based)}.
        var answer = _shared.Acquire(scope, buckets, permits);
        return Task.FromResult(RedisResult.Create(
        [
            answer.IsAllowed ? 1 : 0,
            answer.RetryAfter.Ticks / 10,
            answer.Remaining,
            answer.ResetAfter.Ticks / 10,
            answer.BucketIndex + 1,
        ]));
    }

    public StoreAnswer ReadAcquire(RedisResult reply) => RedisRateLimitStore.Read(reply);

    public Task PauseAsync(string scope, TimeSpan duration, CancellationToken cancellationToken)
    {
        Calls++;
        if (Failing)
        {
            return Task.FromException(new System.Net.Sockets.SocketException((int)System.Net.Sockets.SocketError.ConnectionRefused));
        }

        _shared.Pause(scope, duration);
        return Task.CompletedTask;
    }

    public Task PingAsync(CancellationToken cancellationToken)
    {
        Calls++;
        return Failing ? Task.FromException(new TimeoutException("test: Redis is slow")) : Task.CompletedTask;
    }
}

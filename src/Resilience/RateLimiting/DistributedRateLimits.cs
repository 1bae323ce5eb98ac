using System.Threading.RateLimiting;
using Messaging.Resilience.Breakers;
using Messaging.Resilience.Classification;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;
using StackExchange.Redis;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// Rate limits shared by every instance through Redis (one atomic GCRA script per decision), with a safe local
/// fallback. Redis calls go through the <c>redis</c> dependency pipeline; when one fails or is too slow (an
/// exception, the attempt timeout, or the open breaker) this instance switches to <see cref="LocalRateLimits"/>
/// with its <see cref="DistributedRateLimitingOptions.InstanceShare"/> of each quota, reports itself degraded
/// (log event, <c>messaging.rate_limiting.degraded</c>, <see cref="IsDegraded"/>), and tries Redis again every
/// <see cref="DistributedRateLimitingOptions.ProbeInterval"/>: the first call after that interval (or a
/// readiness check, <see cref="ProbeAsync"/>) goes to Redis, and its success switches back. A failure of Redis
/// therefore never opens the gate and never surfaces as an exception to the caller.
/// Use it directly (<see cref="AcquireAsync(string, string, IReadOnlyList{RateLimitBucket}, int, CancellationToken)"/>),
/// as a <see cref="RateLimiter"/> (<see cref="CreateLimiter"/>), or as a
/// <see cref="PartitionedRateLimiter{TResource}"/> (<see cref="CreatePartitionedLimiter{TResource}"/>).
/// </summary>
public sealed partial class DistributedRateLimits
{
    private readonly IRateLimitStore _store;
    private readonly ResiliencePipeline _pipeline;
    private readonly LocalRateLimits _local;
    private readonly IOptionsMonitor<DistributedRateLimitingOptions> _options;
    private readonly TimeProvider _timeProvider;
    private readonly RateLimitingMetrics _metrics;
    private readonly ILogger _logger;
    private readonly BreakerRegistry? _breakers;
    private RedisCallGroup? _group;
    private int _degraded;
    private int _probing;
    private long _nextProbe;
    private long _degradedSinceTicks;

    internal DistributedRateLimits(
        IRateLimitStore store,
        ResiliencePipeline redisPipeline,
        LocalRateLimits local,
        IOptionsMonitor<DistributedRateLimitingOptions> options,
        TimeProvider timeProvider,
        RateLimitingMetrics metrics,
        ILogger<DistributedRateLimits> logger,
        BreakerRegistry? breakers = null)
    {
        _store = store;
        _pipeline = redisPipeline;
        _local = local;
        _options = options;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _breakers = breakers;
        metrics.Observe(() => IsDegraded);
    }

    /// <summary>Whether this instance is deciding locally because Redis is unreachable or slow.</summary>
    public bool IsDegraded => Volatile.Read(ref _degraded) == 1;

    /// <summary>When this instance switched to its local fallback; <see langword="null"/> while on Redis.</summary>
    public DateTimeOffset? DegradedSince => IsDegraded ? new DateTimeOffset(Volatile.Read(ref _degradedSinceTicks), TimeSpan.Zero) : null;

    /// <summary>Requests this instance refused in the last 60 seconds (every policy).</summary>
    public long RejectedLastMinute => _metrics.RejectedLastMinute();

    /// <summary>Takes <paramref name="permits"/> from one bucket: the scope itself, limited by <paramref name="rule"/>.</summary>
    /// <param name="policy">The policy name: a metric tag and the <c>RateLimit-Policy</c> name.</param>
    /// <param name="scope">What is limited, for example <c>ip:auth:203.0.113.7</c>; the Redis key is derived from it.</param>
    /// <param name="rule">The limit.</param>
    /// <param name="permits">Permits to take (at least 1).</param>
    /// <param name="cancellationToken">The caller's token.</param>
    public ValueTask<RateLimitDecision> AcquireAsync(string policy, string scope, RateLimitRule rule, int permits = 1, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return AcquireAsync(policy, scope, [new RateLimitBucket("", rule)], permits, cancellationToken);
    }

    /// <summary>
    /// Takes <paramref name="permits"/> from every bucket of <paramref name="scope"/> at once, or from none
    /// (for example a provider's global quota and the tenant's share of it). Refused while the scope is paused
    /// (<see cref="PauseAsync"/>).
    /// </summary>
    public ValueTask<RateLimitDecision> AcquireAsync(string policy, string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permits, 1);
        return DecideAsync(policy, scope, buckets, permits, cancellationToken);
    }

    /// <summary>
    /// Gives back <paramref name="permits"/> taken earlier from the buckets of <paramref name="scope"/> (for example
    /// a token request whose secret turned out correct, when only failures should count). Never fails.
    /// </summary>
    public async ValueTask ReleaseAsync(string policy, string scope, IReadOnlyList<RateLimitBucket> buckets, int permits = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permits, 1);
        _ = await DecideAsync(policy, scope, buckets, -permits, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Refuses every acquisition in <paramref name="scope"/> for <paramref name="duration"/>, on every instance
    /// (for example after a provider answered 429 with <c>Retry-After</c>). Only ever extends a pause; never fails.
    /// </summary>
    public async ValueTask PauseAsync(string scope, TimeSpan duration, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scope);
        if (duration <= TimeSpan.Zero)
        {
            return;
        }

        // This instance honours the pause even if Redis fails now or later.
        _local.Pause(scope, duration);
        Log.Paused(_logger, scope, duration.TotalMilliseconds);
        if (!TryBeginRedisCall(out var probe))
        {
            return;
        }

        try
        {
            await _pipeline.ExecuteAsync(
                static async (state, ct) => await state._store.PauseAsync(state.scope, state.duration, ct).ConfigureAwait(false),
                (_store, scope, duration),
                cancellationToken).ConfigureAwait(false);
            LeaveDegraded();
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            EnterDegraded(ex);
        }
        finally
        {
            EndRedisCall(probe);
        }
    }

    /// <summary>
    /// While degraded and a probe is due, checks whether Redis answers again and switches back if it does.
    /// Readiness checks call it, so recovery shows even without traffic.
    /// </summary>
    /// <returns>Whether this instance is on Redis after the call.</returns>
    public async ValueTask<bool> ProbeAsync(CancellationToken cancellationToken = default)
    {
        if (!IsDegraded)
        {
            return true;
        }

        if (!TryBeginRedisCall(out var probe))
        {
            return false;
        }

        try
        {
            await _pipeline.ExecuteAsync(
                static async (store, ct) => await store.PingAsync(ct).ConfigureAwait(false),
                _store,
                cancellationToken).ConfigureAwait(false);
            LeaveDegraded();
            return true;
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            EnterDegraded(ex);
            return false;
        }
        finally
        {
            EndRedisCall(probe);
        }
    }

    /// <summary>
    /// A <see cref="RateLimiter"/> over one scope, for Polly's rate limiter strategy or an ASP.NET Core
    /// rate limiting policy. Leases carry <see cref="MetadataName.RetryAfter"/> when refused and
    /// <see cref="RateLimitMetadata.Decision"/> always. <c>AttemptAcquire</c> (synchronous) never calls Redis:
    /// it answers "not acquired" without metadata, which makes callers such as the ASP.NET Core middleware
    /// fall through to <c>AcquireAsync</c>.
    /// </summary>
    public RateLimiter CreateLimiter(string policy, string scope, RateLimitRule rule)
    {
        ArgumentException.ThrowIfNullOrEmpty(policy);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentNullException.ThrowIfNull(rule);
        return new DistributedRateLimiter(this, policy, scope, [new RateLimitBucket("", rule)], _timeProvider);
    }

    /// <summary>
    /// A <see cref="PartitionedRateLimiter{TResource}"/> that maps each resource to a target (policy, scope and
    /// rule), or to <see langword="null"/> for "not limited". No limiter object is kept per partition.
    /// </summary>
    public PartitionedRateLimiter<TResource> CreatePartitionedLimiter<TResource>(Func<TResource, RateLimitTarget?> partitioner)
    {
        ArgumentNullException.ThrowIfNull(partitioner);
        return new DistributedPartitionedRateLimiter<TResource>(this, partitioner);
    }

    private ValueTask<RateLimitDecision> DecideAsync(string policy, string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(policy);
        ArgumentException.ThrowIfNullOrEmpty(scope);
        ArgumentNullException.ThrowIfNull(buckets);
        if (buckets.Count is 0 or > 16)
        {
            throw new ArgumentOutOfRangeException(nameof(buckets), buckets.Count, "A decision draws from 1 to 16 buckets.");
        }

        if (TryBeginRedisCall(out var probe))
        {
            if (!probe && BreakerClosed())
            {
                return cancellationToken.IsCancellationRequested
                    ? ValueTask.FromCanceled<RateLimitDecision>(cancellationToken)
                    : DecideInGroupAsync(policy, scope, buckets, permits, cancellationToken);
            }

            return DecideThroughPipelineAsync(policy, scope, buckets, permits, probe, cancellationToken);
        }

        return ValueTask.FromResult(DecideLocally(policy, scope, buckets, permits));
    }

    // The common case: the call is sent at once and watched by its group's execution of the redis pipeline.
    private async ValueTask<RateLimitDecision> DecideInGroupAsync(string policy, string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken)
    {
        Task<RedisResult> call;
        RedisCallGroup group;
        try
        {
            call = _store.StartAcquire(scope, buckets, permits);
            group = Join(call);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            EnterDegraded(ex);
            return DecideLocally(policy, scope, buckets, permits);
        }

        try
        {
            // Wait for the reply, but no longer than the group's pipeline execution (its timeouts, its breaker).
            await ((Task)call.WaitAsync(group.Failed)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (call.IsCompletedSuccessfully)
            {
                var answer = _store.ReadAcquire(call.Result);
                LeaveDegraded();
                return Record(policy, buckets, answer, RateLimitSource.Redis, permits);
            }

            if (!call.IsCompleted)
            {
                EnterDegraded(group.Error ?? new TimeoutException("Redis did not answer within the redis pipeline's timeout."));
                return DecideLocally(policy, scope, buckets, permits);
            }

            await call.ConfigureAwait(false); // rethrows the call's own failure
        }
        catch (RedisServerException ex) when (StoreReplies.IsUnknownScript(ex))
        {
            // Redis restarted or forgot the script: the pipeline's call loads it (EVAL).
            return await DecideThroughPipelineAsync(policy, scope, buckets, permits, probe: false, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            EnterDegraded(ex);
        }

        return DecideLocally(policy, scope, buckets, permits);
    }

    // Probes, an open or half-open breaker, an unknown script: one pipeline execution for this call alone.
    private async ValueTask<RateLimitDecision> DecideThroughPipelineAsync(string policy, string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, bool probe, CancellationToken cancellationToken)
    {
        try
        {
            var answer = await _pipeline.ExecuteAsync(
                static async (state, ct) => await state._store.AcquireAsync(state.scope, state.buckets, state.permits, ct).ConfigureAwait(false),
                (_store, scope, buckets, permits),
                cancellationToken).ConfigureAwait(false);
            LeaveDegraded();
            return Record(policy, buckets, answer, RateLimitSource.Redis, permits);
        }
        catch (Exception ex) when (IsRedisFailure(ex, cancellationToken))
        {
            EnterDegraded(ex);
        }
        finally
        {
            EndRedisCall(probe);
        }

        return DecideLocally(policy, scope, buckets, permits);
    }

    private RateLimitDecision DecideLocally(string policy, string scope, IReadOnlyList<RateLimitBucket> buckets, int permits)
    {
        var local = _local.Acquire(scope, buckets, permits, _options.CurrentValue.InstanceShare);
        return Record(policy, buckets, local, RateLimitSource.Local, permits);
    }

    // Joins the open group, or opens one and starts its pipeline execution.
    private RedisCallGroup Join(Task call)
    {
        var current = Volatile.Read(ref _group);
        if (current is not null && current.TryAdd(call))
        {
            return current;
        }

        var group = new RedisCallGroup(call);
        Volatile.Write(ref _group, group);
        _ = WatchAsync(group);
        return group;
    }

    private async Task WatchAsync(RedisCallGroup group)
    {
        try
        {
            await _pipeline.ExecuteAsync(static (group, ct) => group.WatchAsync(ct), group, CancellationToken.None).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // Whatever stopped the watch, its callers must stop waiting and decide locally.
        catch (Exception ex)
#pragma warning restore CA1031
        {
            group.Fail(ex);
        }
    }

    // Calls go straight to Redis only while the redis breaker is closed; otherwise each goes through the pipeline,
    // which refuses it (open) or lets one probe through (half-open).
    private bool BreakerClosed() => _breakers is null || _breakers.GetState(DependencyNames.Redis) == BreakerState.Closed;

    private RateLimitDecision Record(string policy, IReadOnlyList<RateLimitBucket> buckets, StoreAnswer answer, RateLimitSource source, int permits)
    {
        if (permits > 0)
        {
            _metrics.Record(policy, answer.IsAllowed, source);
        }

        var rule = buckets[Math.Clamp(answer.BucketIndex, 0, buckets.Count - 1)].Rule;
        return new RateLimitDecision(answer.IsAllowed, answer.RetryAfter, answer.Remaining, answer.ResetAfter, rule, policy, source);
    }

    // On Redis: always. Degraded: only one caller at a time, once the probe interval has passed.
    private bool TryBeginRedisCall(out bool probe)
    {
        probe = false;
        if (!IsDegraded)
        {
            return true;
        }

        if (_timeProvider.GetTimestamp() < Volatile.Read(ref _nextProbe) || Interlocked.CompareExchange(ref _probing, 1, 0) != 0)
        {
            return false;
        }

        probe = true;
        return true;
    }

    private void EndRedisCall(bool probe)
    {
        if (probe)
        {
            Volatile.Write(ref _probing, 0);
        }
    }

    private void EnterDegraded(Exception exception)
    {
        var interval = _options.CurrentValue.ProbeInterval;
        Volatile.Write(ref _nextProbe, _timeProvider.GetTimestamp() + (long)(interval.TotalSeconds * _timeProvider.TimestampFrequency));
        if (Interlocked.CompareExchange(ref _degraded, 1, 0) == 0)
        {
            Volatile.Write(ref _degradedSinceTicks, _timeProvider.GetUtcNow().UtcTicks);
            Log.Degraded(_logger, exception.GetType().Name, _options.CurrentValue.InstanceShare, interval.TotalSeconds);
        }
        else
        {
            Log.ProbeFailed(_logger, exception.GetType().Name);
        }
    }

    private void LeaveDegraded()
    {
        if (Volatile.Read(ref _degraded) == 1 && Interlocked.CompareExchange(ref _degraded, 0, 1) == 1)
        {
            var since = new DateTimeOffset(Volatile.Read(ref _degradedSinceTicks), TimeSpan.Zero);
            Log.Restored(_logger, (_timeProvider.GetUtcNow() - since).TotalSeconds);
        }
    }

    // What "Redis cannot decide" looks like through the redis pipeline: Redis unavailable, and beyond that anything
    // from Redis (server errors included) and a multiplexer disposed under us: a limiter that cannot decide must fall
    // back, never fail the request. A cancellation counts only when it is not the caller's own token.
    private static bool IsRedisFailure(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException => !cancellationToken.IsCancellationRequested,
        ObjectDisposedException => true,
        _ => DependencyUnavailable.IsRedisFailure(exception),
    };

    private static partial class Log
    {
        [LoggerMessage(EventId = 1301, EventName = "RateLimitingDegraded", Level = LogLevel.Warning,
            Message = "Redis did not answer a rate limit decision ({ErrorType}); deciding locally with a share of {InstanceShare} of each quota, retrying Redis every {ProbeIntervalSeconds} s")]
        public static partial void Degraded(ILogger logger, string errorType, double instanceShare, double probeIntervalSeconds);

        [LoggerMessage(EventId = 1302, EventName = "RateLimitingRestored", Level = LogLevel.Information,
            Message = "Redis answers again; rate limits are shared again after {DegradedSeconds} s on the local fallback")]
        public static partial void Restored(ILogger logger, double degradedSeconds);

        [LoggerMessage(EventId = 1303, EventName = "RateLimitingProbeFailed", Level = LogLevel.Debug,
            Message = "Redis still does not answer rate limit decisions ({ErrorType}); staying on the local fallback")]
        public static partial void ProbeFailed(ILogger logger, string errorType);

        [LoggerMessage(EventId = 1304, EventName = "RateLimitScopePaused", Level = LogLevel.Information,
            Message = "Rate limit scope {Scope} paused for {PauseMilliseconds} ms")]
        public static partial void Paused(ILogger logger, string scope, double pauseMilliseconds);
    }
}

using System.Threading.RateLimiting;

namespace Messaging.Resilience.RateLimiting;

/// <summary>A lease that carries its decision; <see cref="MetadataName.RetryAfter"/> when refused.</summary>
internal sealed class DecisionLease(RateLimitDecision decision) : RateLimitLease
{
    private static readonly string[] AllowedNames = [RateLimitMetadata.Decision.Name];
    private static readonly string[] RefusedNames = [MetadataName.RetryAfter.Name, RateLimitMetadata.Decision.Name];

    public RateLimitDecision Decision { get; } = decision;

    public override bool IsAcquired => Decision.IsAllowed;

    public override IEnumerable<string> MetadataNames => Decision.IsAllowed ? AllowedNames : RefusedNames;

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (metadataName == RateLimitMetadata.Decision.Name)
        {
            metadata = Decision;
            return true;
        }

        if (!Decision.IsAllowed && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = Decision.RetryAfter;
            return true;
        }

        metadata = null;
        return false;
    }
}

/// <summary>Leases that are answered without a decision.</summary>
internal sealed class FixedLease : RateLimitLease
{
    private FixedLease(bool acquired) => IsAcquired = acquired;

    /// <summary>"Not limited": acquired, no metadata.</summary>
    public static FixedLease Unlimited { get; } = new(true);

    /// <summary>The synchronous answer of a Redis limiter: "ask asynchronously".</summary>
    public static FixedLease AskAsync { get; } = new(false);

    public override bool IsAcquired { get; }

    public override IEnumerable<string> MetadataNames => [];

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        metadata = null;
        return false;
    }

    // Shared instances: disposing them is a no-op.
    protected override void Dispose(bool disposing)
    {
    }
}

/// <summary>A <see cref="RateLimiter"/> over one scope of <see cref="DistributedRateLimits"/>.</summary>
internal sealed class DistributedRateLimiter(
    DistributedRateLimits limits, string policy, string scope, RateLimitBucket[] buckets, TimeProvider timeProvider) : RateLimiter
{
    private long _lastUsed = timeProvider.GetTimestamp();
    private int _active;
    private long _successful;
    private long _failed;
    private long _available = buckets[0].Rule.EffectiveBurst;

    public override TimeSpan? IdleDuration =>
        Volatile.Read(ref _active) > 0 ? null : timeProvider.GetElapsedTime(Volatile.Read(ref _lastUsed));

    public override RateLimiterStatistics? GetStatistics() => new()
    {
        CurrentAvailablePermits = Volatile.Read(ref _available),
        CurrentQueuedCount = 0,
        TotalSuccessfulLeases = Volatile.Read(ref _successful),
        TotalFailedLeases = Volatile.Read(ref _failed),
    };

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => FixedLease.AskAsync;

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        if (permitCount == 0)
        {
            return FixedLease.Unlimited;
        }

        Interlocked.Increment(ref _active);
        try
        {
            var decision = await limits.AcquireAsync(policy, scope, buckets, permitCount, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref decision.IsAllowed ? ref _successful : ref _failed);
            Volatile.Write(ref _available, decision.Remaining);
            return new DecisionLease(decision);
        }
        finally
        {
            Volatile.Write(ref _lastUsed, timeProvider.GetTimestamp());
            Interlocked.Decrement(ref _active);
        }
    }
}

/// <summary>A <see cref="PartitionedRateLimiter{TResource}"/> over <see cref="DistributedRateLimits"/>, with no object per partition.</summary>
internal sealed class DistributedPartitionedRateLimiter<TResource>(
    DistributedRateLimits limits, Func<TResource, RateLimitTarget?> partitioner) : PartitionedRateLimiter<TResource>
{
    public override RateLimiterStatistics? GetStatistics(TResource resource) => null;

    protected override RateLimitLease AttemptAcquireCore(TResource resource, int permitCount) =>
        partitioner(resource) is null ? FixedLease.Unlimited : FixedLease.AskAsync;

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(TResource resource, int permitCount, CancellationToken cancellationToken)
    {
        if (partitioner(resource) is not { } target || permitCount == 0)
        {
            return ValueTask.FromResult<RateLimitLease>(FixedLease.Unlimited);
        }

        return AcquireAsync(target, permitCount, cancellationToken);
    }

    private async ValueTask<RateLimitLease> AcquireAsync(RateLimitTarget target, int permitCount, CancellationToken cancellationToken) =>
        new DecisionLease(await limits.AcquireAsync(target.Policy, target.Scope, target.Rule, permitCount, cancellationToken).ConfigureAwait(false));
}

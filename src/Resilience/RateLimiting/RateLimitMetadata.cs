namespace Messaging.Resilience.RateLimiting;

/// <summary>Metadata carried by the leases of <see cref="DistributedRateLimits"/>' limiters.</summary>
public static class RateLimitMetadata
{
    /// <summary>The whole decision (rule, remaining permits, reset, source), on every lease that was decided.</summary>
    public static System.Threading.RateLimiting.MetadataName<RateLimitDecision> Decision { get; } =
        System.Threading.RateLimiting.MetadataName.Create<RateLimitDecision>("MESSAGING_RATE_LIMIT_DECISION");
}

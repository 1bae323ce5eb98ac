namespace Messaging.Resilience.RateLimiting;

/// <summary>Where a rate limit decision was taken.</summary>
public enum RateLimitSource
{
    /// <summary>Shared by every instance through Redis.</summary>
    Redis,

    /// <summary>This instance's local fallback, with its share of the quota (Redis unreachable or slow).</summary>
    Local,
}

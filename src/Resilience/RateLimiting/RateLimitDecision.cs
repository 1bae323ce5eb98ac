namespace Messaging.Resilience.RateLimiting;

/// <summary>Where a rate limit decision was taken.</summary>
public enum RateLimitSource
{
    /// <summary>Shared by every instance through Redis.</summary>
    Redis,

    /// <summary>This instance's local fallback, with its share of the quota (Redis unreachable or slow).</summary>
    Local,
}

/// <summary>One bucket a decision draws from: a name within the scope and its rule.</summary>
/// <param name="Name">The bucket's name within its scope (for example <c>global</c> or <c>tenant:t1</c>).</param>
/// <param name="Rule">Its limit.</param>
public readonly record struct RateLimitBucket(string Name, RateLimitRule Rule);

/// <summary>The answer to "may I take these permits now?".</summary>
/// <param name="IsAllowed">Whether the permits were taken.</param>
/// <param name="RetryAfter">When refused: how long until the same request would be allowed; zero when allowed.</param>
/// <param name="Remaining">Permits left right after this decision in the tightest bucket.</param>
/// <param name="ResetAfter">How long until the tightest bucket is full again.</param>
/// <param name="Rule">The rule of the bucket that decided (the one that refused, or the tightest one).</param>
/// <param name="Policy">The policy name (metric tag and <c>RateLimit-Policy</c> name).</param>
/// <param name="Source">Redis or the local fallback.</param>
public readonly record struct RateLimitDecision(
    bool IsAllowed,
    TimeSpan RetryAfter,
    long Remaining,
    TimeSpan ResetAfter,
    RateLimitRule Rule,
    string Policy,
    RateLimitSource Source);

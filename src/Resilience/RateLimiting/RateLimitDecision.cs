namespace Messaging.Resilience.RateLimiting;

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

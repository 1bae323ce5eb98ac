namespace Messaging.Resilience.RateLimiting;

/// <summary>The answer of <see cref="ProviderQuota"/>: go now, or come back after <see cref="RetryAfter"/>.</summary>
/// <param name="IsAllowed">The call may be made now (its permit is taken).</param>
/// <param name="RetryAfter">When not allowed: how long to defer the command (never fail it, never count an attempt).</param>
/// <param name="Source">Redis, or this instance's local share while Redis is unreachable.</param>
public readonly record struct ProviderQuotaDecision(bool IsAllowed, TimeSpan RetryAfter, RateLimitSource Source)
{
    /// <summary>"Go" for a provider without a configured quota.</summary>
    public static ProviderQuotaDecision Unlimited { get; } = new(true, TimeSpan.Zero, RateLimitSource.Redis);
}

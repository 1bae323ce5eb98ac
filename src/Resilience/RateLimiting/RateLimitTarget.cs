namespace Messaging.Resilience.RateLimiting;

/// <summary>What a partitioned limiter limits for one resource: the policy, the scope (partition) and its rule.</summary>
/// <param name="Policy">The policy name (metric tag, <c>RateLimit-Policy</c> name).</param>
/// <param name="Scope">The partition, for example <c>ip:auth:203.0.113.7</c>.</param>
/// <param name="Rule">Its limit.</param>
public sealed record RateLimitTarget(string Policy, string Scope, RateLimitRule Rule);

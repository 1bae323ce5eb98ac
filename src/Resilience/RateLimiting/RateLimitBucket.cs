namespace Messaging.Resilience.RateLimiting;

/// <summary>One bucket a decision draws from: a name within the scope and its rule.</summary>
/// <param name="Name">The bucket's name within its scope (for example <c>global</c> or <c>tenant:t1</c>).</param>
/// <param name="Rule">Its limit.</param>
public readonly record struct RateLimitBucket(string Name, RateLimitRule Rule);

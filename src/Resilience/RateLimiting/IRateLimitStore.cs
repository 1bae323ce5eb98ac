using StackExchange.Redis;

namespace Messaging.Resilience.RateLimiting;

/// <summary>The answer of a store (Redis or local) for one acquisition.</summary>
/// <param name="IsAllowed">Whether the permits were taken.</param>
/// <param name="RetryAfter">When refused, the wait until the request would be allowed.</param>
/// <param name="Remaining">Permits left in the deciding bucket.</param>
/// <param name="ResetAfter">Time until the deciding bucket is full again.</param>
/// <param name="BucketIndex">The deciding bucket (0-based), or -1 when the scope is paused.</param>
internal readonly record struct StoreAnswer(bool IsAllowed, TimeSpan RetryAfter, long Remaining, TimeSpan ResetAfter, int BucketIndex);

/// <summary>
/// Where the shared rate limit state lives (Redis). The seam exists so that the fallback switching of
/// <see cref="DistributedRateLimits"/> can be tested without taking Redis down.
/// </summary>
internal interface IRateLimitStore
{
    /// <summary>Takes (or, with negative <paramref name="permits"/>, gives back) permits from every bucket of a scope, all or nothing.</summary>
    Task<StoreAnswer> AcquireAsync(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken);

    /// <summary>
    /// Sends an acquisition (as <see cref="AcquireAsync"/>) without waiting for it: the caller bounds the wait and
    /// reads the reply with <see cref="ReadAcquire"/>. The reply fails with <c>NOSCRIPT</c> when the store does not
    /// know the script yet (<see cref="StoreReplies.IsUnknownScript"/>); <see cref="AcquireAsync"/> then loads it.
    /// </summary>
    Task<RedisResult> StartAcquire(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits);

    /// <summary>Reads a reply of <see cref="StartAcquire"/>.</summary>
    StoreAnswer ReadAcquire(RedisResult reply);

    /// <summary>Refuses every acquisition in the scope for <paramref name="duration"/> (only ever extends a pause).</summary>
    Task PauseAsync(string scope, TimeSpan duration, CancellationToken cancellationToken);

    /// <summary>Checks that the store answers.</summary>
    Task PingAsync(CancellationToken cancellationToken);
}

/// <summary>What the stores' replies have in common.</summary>
internal static class StoreReplies
{
    /// <summary>Whether <paramref name="exception"/> is Redis saying it does not know the script (first use, restart, <c>SCRIPT FLUSH</c>).</summary>
    public static bool IsUnknownScript(Exception? exception) =>
        exception is RedisServerException ex && ex.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal);
}

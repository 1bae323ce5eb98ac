using Messaging.Resilience.Redis;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// Runs <see cref="RateLimitScripts"/> with <c>EVALSHA</c> (one round trip), loading the script with <c>EVAL</c>
/// only when Redis does not know it yet (first use, restart, <c>SCRIPT FLUSH</c>). Keys are
/// <c>{prefix}rl:{scope}:{bucket}</c>; the braces make every key of a scope one cluster hash slot, so a
/// multi-bucket decision stays a single-slot script.
/// </summary>
internal sealed class RedisRateLimitStore(IConnectionMultiplexer redis, IOptions<RedisOptions> redisOptions) : IRateLimitStore
{
    private const double TicksPerMicrosecond = TimeSpan.TicksPerMillisecond / 1000.0;
    private readonly string _prefix = redisOptions.Value.KeyPrefix + "rl:{";

    public async Task<StoreAnswer> AcquireAsync(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits, CancellationToken cancellationToken)
    {
        var (keys, values) = Arguments(scope, buckets, permits);
        var reply = await EvaluateAsync(RateLimitScripts.AcquireHash, RateLimitScripts.Acquire, keys, values, cancellationToken).ConfigureAwait(false);
        return ReadAcquire(reply);
    }

    public Task<RedisResult> StartAcquire(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits)
    {
        var (keys, values) = Arguments(scope, buckets, permits);
        return redis.GetDatabase().ScriptEvaluateAsync(RateLimitScripts.AcquireHash, keys, values);
    }

    public StoreAnswer ReadAcquire(RedisResult reply) => Read(reply);

    /// <summary>Reads the reply of <see cref="RateLimitScripts.Acquire"/>.</summary>
    public static StoreAnswer Read(RedisResult reply)
    {
        var parts = (RedisResult[])reply!;
        return new StoreAnswer(
            (long)parts[0] == 1,
            FromMicroseconds((long)parts[1]),
            (long)parts[2],
            FromMicroseconds((long)parts[3]),
            (int)(long)parts[4] - 1);
    }

    public async Task PauseAsync(string scope, TimeSpan duration, CancellationToken cancellationToken) =>
        _ = await EvaluateAsync(RateLimitScripts.PauseHash, RateLimitScripts.Pause, [Key(scope, "pause")], [Microseconds(duration)], cancellationToken).ConfigureAwait(false);

    public async Task PingAsync(CancellationToken cancellationToken) =>
        _ = await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Connects and loads the scripts (<c>SCRIPT LOAD</c>), so that the first decision is one <c>EVALSHA</c>
    /// on an open connection rather than a connect, a <c>NOSCRIPT</c> and an <c>EVAL</c>.
    /// </summary>
    public async Task LoadScriptsAsync(CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        foreach (var script in (string[])[RateLimitScripts.Acquire, RateLimitScripts.Pause])
        {
            _ = await database.ExecuteAsync("SCRIPT", "LOAD", script).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The Redis key of a bucket (public for tests and the benchmark).</summary>
    public RedisKey Key(string scope, string bucket) => string.Concat(_prefix, scope, "}:", bucket);

    /// <summary>A rule's emission interval as Redis sees it (whole microseconds, at least one).</summary>
    public static long Microseconds(TimeSpan value) => Math.Max(1, (long)(value.Ticks / TicksPerMicrosecond));

    private static TimeSpan FromMicroseconds(long value) => TimeSpan.FromTicks((long)(Math.Max(0, value) * TicksPerMicrosecond));

    private (RedisKey[] Keys, RedisValue[] Values) Arguments(string scope, IReadOnlyList<RateLimitBucket> buckets, int permits)
    {
        var keys = new RedisKey[buckets.Count + 1];
        var values = new RedisValue[(buckets.Count * 2) + 1];
        values[0] = permits;
        for (var i = 0; i < buckets.Count; i++)
        {
            var rule = buckets[i].Rule;
            keys[i] = Key(scope, buckets[i].Name);
            values[(2 * i) + 1] = Microseconds(rule.EmissionInterval);
            values[(2 * i) + 2] = rule.EffectiveBurst;
        }

        keys[^1] = Key(scope, "pause");
        return (keys, values);
    }

    private async Task<RedisResult> EvaluateAsync(byte[] hash, string script, RedisKey[] keys, RedisValue[] values, CancellationToken cancellationToken)
    {
        var database = redis.GetDatabase();
        try
        {
            // The client does not take a token: WaitAsync lets the pipeline's attempt timeout abandon a slow call.
            return await database.ScriptEvaluateAsync(hash, keys, values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RedisServerException ex) when (StoreReplies.IsUnknownScript(ex))
        {
            return await database.ScriptEvaluateAsync(script, keys, values).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}

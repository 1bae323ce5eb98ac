using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.Resilience.Classification;
using Messaging.Resilience.Redis;
using Messaging.Resilience;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using StackExchange.Redis;

namespace Messaging.Gateway.Commands;

/// <summary>
/// Idempotency keys used while PostgreSQL is down, kept in Redis for
/// <see cref="OutageFallbackOptions.IdempotencyKeyTtl"/>: the Redis key is derived from the tenant and the
/// caller's key (so one tenant's key never answers another tenant), the value names the command it
/// stands for, the request hash and whether the publish was confirmed. A caller that cannot reach Redis
/// must not accept a keyed command through the fallback.
/// </summary>
internal sealed class FallbackIdempotencyKeys(
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    IOptionsMonitor<OutageFallbackOptions> options,
    ResiliencePipelineProvider<string> pipelines)
{
    // Claims the key unless it is held: returns the current value, or nil when this call claimed it.
    private const string ClaimScript = """
        local held = redis.call('GET', KEYS[1])
        if held then return held end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return false
        """;

    // Deletes the key only while it still holds this claim (never another request's).
    private const string ReleaseScript = """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """;

    // The fallback's own writes are few and must not be lost to the rate limiter's tight budget (250 ms): a
    // claim or confirmation that timed out but was applied would leave the key "pending" for its whole TTL.
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(1);

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _prefix = redisOptions.Value.KeyPrefix + "fallback-idempotency:";

    /// <summary>
    /// Claims <paramref name="key"/> of <paramref name="tenant"/> for <paramref name="entry"/> (state
    /// <c>pending</c>); returns null when claimed, otherwise what the key already stands for. When the answer
    /// is lost, the claim is withdrawn (if it was made) before the exception leaves.
    /// </summary>
    public async Task<FallbackKeyEntry?> TryClaimAsync(string tenant, string key, FallbackKeyEntry entry, CancellationToken cancellationToken)
    {
        var redisKey = (RedisKey)RedisKeyOf(tenant, key);
        var claim = JsonSerializer.Serialize(entry with { Pending = true }, Json);
        var ttl = (long)options.CurrentValue.IdempotencyKeyTtl.TotalMilliseconds;
        RedisResult held;
        try
        {
            held = await redis.GetDatabase().ScriptEvaluateAsync(ClaimScript, [redisKey], [claim, ttl]).WaitAsync(WriteTimeout, cancellationToken)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex) || ex is OperationCanceledException)
        {
            await WithdrawAsync(redisKey, claim).ConfigureAwait(false);
            throw;
        }

        return held.IsNull ? null : Read((string?)held);
    }

    /// <summary>Marks the claimed key as standing for a confirmed command (a few attempts: the command is already accepted).</summary>
    public async Task MarkAcceptedAsync(string tenant, string key, FallbackKeyEntry entry)
    {
        var redisKey = (RedisKey)RedisKeyOf(tenant, key);
        var value = JsonSerializer.Serialize(entry with { Pending = false }, Json);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await redis.GetDatabase().StringSetAsync(redisKey, value, options.CurrentValue.IdempotencyKeyTtl).WaitAsync(WriteTimeout).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (attempt < 3 && DependencyUnavailable.IsRedisFailure(ex))
            {
                // Try again at once: the write is idempotent.
            }
        }
    }

    /// <summary>Forgets a claim whose publish failed (nothing was accepted).</summary>
    public Task ReleaseAsync(string tenant, string key, FallbackKeyEntry entry) =>
        redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [(RedisKey)RedisKeyOf(tenant, key)], [JsonSerializer.Serialize(entry with { Pending = true }, Json)])
            .WaitAsync(WriteTimeout);

    /// <summary>
    /// What <paramref name="key"/> of <paramref name="tenant"/> stands for, if it was used during the fallback.
    /// On the normal path, so through the <c>redis</c> pipeline: a slow or absent Redis costs at most its short budget.
    /// </summary>
    public async Task<FallbackKeyEntry?> FindAsync(string tenant, string key, CancellationToken cancellationToken)
    {
        var value = await Redis.ExecuteAsync(async (state, token) => await state.Database.StringGetAsync(state.Key).WaitAsync(token).ConfigureAwait(false),
            (Database: redis.GetDatabase(), Key: (RedisKey)RedisKeyOf(tenant, key)), cancellationToken).ConfigureAwait(false);
        return value.IsNull ? null : Read((string?)value);
    }

    private async Task WithdrawAsync(RedisKey redisKey, string claim)
    {
        try
        {
            await redis.GetDatabase().ScriptEvaluateAsync(ReleaseScript, [redisKey], [claim]).WaitAsync(WriteTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (DependencyUnavailable.IsRedisFailure(ex))
        {
            // Redis is away: the claim (if it was made at all) expires with its TTL.
        }
    }

    private ResiliencePipeline Redis => pipelines.GetPipeline(DependencyNames.Redis);

    // Tenant and key are hashed together: no separator in either can make two pairs collide, and the Redis
    // key has a fixed length whatever the caller sent.
    private string RedisKeyOf(string tenant, string key)
    {
        var input = Encoding.UTF8.GetBytes(tenant + "\0" + key);
        return _prefix + Convert.ToHexStringLower(SHA256.HashData(input));
    }

    private static FallbackKeyEntry? Read(string? json)
    {
        try
        {
            return json is null ? null : JsonSerializer.Deserialize<FallbackKeyEntry>(json, Json);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}

/// <summary>What an idempotency key used during the fallback stands for.</summary>
/// <param name="Tenant">The owning tenant (also part of the Redis key).</param>
/// <param name="CommandId">The command the key created.</param>
/// <param name="Type">The command type.</param>
/// <param name="RequestHash">The request hash (base64), to tell a replay from a reuse.</param>
/// <param name="ClientId">The client that sent it.</param>
/// <param name="Deadline">The command's deadline.</param>
/// <param name="AcceptedAt">When it was accepted.</param>
/// <param name="Pending">True while the publish is not confirmed yet.</param>
internal sealed record FallbackKeyEntry(
    string Tenant, Guid CommandId, string Type, string RequestHash, string ClientId, DateTimeOffset Deadline, DateTimeOffset AcceptedAt, bool Pending = false);

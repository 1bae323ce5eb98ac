using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.Resilience.Pipelines;
using Messaging.Resilience.Redis;
using Microsoft.Extensions.Options;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Timeout;
using StackExchange.Redis;

namespace Messaging.Gateway.Commands;

/// <summary>
/// Idempotency keys used while PostgreSQL is down, kept in Redis for
/// <see cref="CommandFallbackOptions.IdempotencyKeyTtl"/>: the Redis key is derived from the tenant and the
/// caller's key (so one tenant's key never answers another tenant), the value names the command it
/// stands for, the request hash and whether the publish was confirmed. Every call goes through the
/// <c>redis</c> pipeline (fast failure); a caller that cannot reach Redis must not accept a keyed command.
/// </summary>
internal sealed class FallbackIdempotencyKeys(
    IConnectionMultiplexer redis,
    IOptions<RedisOptions> redisOptions,
    IOptionsMonitor<CommandFallbackOptions> options,
    ResiliencePipelineProvider<string> pipelines,
    TimeProvider timeProvider)
{
    // Claims the key unless it is held: returns the current value, or nil when this call claimed it.
    private const string ClaimScript = """
        local held = redis.call('GET', KEYS[1])
        if held then return held end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return false
        """;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private readonly string _prefix = redisOptions.Value.KeyPrefix + "fallback-idempotency:";

    /// <summary>Whether <paramref name="exception"/> means Redis could not answer (down, slow, breaker open).</summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is BrokenCircuitException or TimeoutRejectedException || TransientFailures.IsTransientRedis(exception);

    /// <summary>
    /// Claims <paramref name="key"/> of <paramref name="tenant"/> for <paramref name="entry"/> (state
    /// <c>pending</c>); returns null when claimed, otherwise what the key already stands for.
    /// </summary>
    public async Task<FallbackKeyEntry?> TryClaimAsync(string tenant, string key, FallbackKeyEntry entry, CancellationToken cancellationToken)
    {
        var ttl = (long)options.CurrentValue.IdempotencyKeyTtl.TotalMilliseconds;
        var held = await Redis.ExecuteAsync(async (state, _) => await state.Database.ScriptEvaluateAsync(ClaimScript,
                [state.Key], [JsonSerializer.Serialize(state.Entry, Json), state.Ttl]).ConfigureAwait(false),
            (Database: redis.GetDatabase(), Key: (RedisKey)RedisKeyOf(tenant, key), Entry: entry with { Pending = true }, Ttl: ttl), cancellationToken)
            .ConfigureAwait(false);
        return held.IsNull ? null : Read((string?)held);
    }

    /// <summary>Marks the claimed key as standing for a confirmed command.</summary>
    public Task MarkAcceptedAsync(string tenant, string key, FallbackKeyEntry entry, CancellationToken cancellationToken) =>
        Redis.ExecuteAsync(async (state, _) => await state.Database.StringSetAsync(state.Key, JsonSerializer.Serialize(state.Entry, Json), state.Ttl)
                .ConfigureAwait(false),
            (Database: redis.GetDatabase(), Key: (RedisKey)RedisKeyOf(tenant, key), Entry: entry with { Pending = false }, Ttl: options.CurrentValue.IdempotencyKeyTtl),
            cancellationToken).AsTask();

    /// <summary>Forgets a claim whose publish failed (nothing was accepted).</summary>
    public Task ReleaseAsync(string tenant, string key, CancellationToken cancellationToken) =>
        Redis.ExecuteAsync(async (state, _) => await state.Database.KeyDeleteAsync(state.Key).ConfigureAwait(false),
            (Database: redis.GetDatabase(), Key: (RedisKey)RedisKeyOf(tenant, key)), cancellationToken).AsTask();

    /// <summary>What <paramref name="key"/> of <paramref name="tenant"/> stands for, if it was used during the fallback.</summary>
    public async Task<FallbackKeyEntry?> FindAsync(string tenant, string key, CancellationToken cancellationToken)
    {
        var value = await Redis.ExecuteAsync(async (state, _) => await state.Database.StringGetAsync(state.Key).ConfigureAwait(false),
            (Database: redis.GetDatabase(), Key: (RedisKey)RedisKeyOf(tenant, key)), cancellationToken).ConfigureAwait(false);
        return value.IsNull ? null : Read((string?)value);
    }

    /// <summary>When an entry written now expires (for the reconciled record's lower bound).</summary>
    public DateTimeOffset ExpiresFromNow() => timeProvider.GetUtcNow() + options.CurrentValue.IdempotencyKeyTtl;

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

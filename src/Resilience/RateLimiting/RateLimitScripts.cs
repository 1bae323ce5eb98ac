using System.Security.Cryptography;
using System.Text;

namespace Messaging.Resilience.RateLimiting;

/// <summary>
/// The Lua scripts run by Redis, atomically and in one round trip per decision. Times are Redis's own clock
/// (<c>TIME</c>, microseconds), so instances with skewed clocks still agree; Redis 5+ replicates script
/// effects, which makes <c>TIME</c> in a writing script safe.
/// </summary>
internal static class RateLimitScripts
{
    /// <summary>
    /// GCRA over one or more buckets, all or nothing. <c>KEYS[1..n]</c> hold each bucket's theoretical arrival
    /// time (TAT, µs); <c>KEYS[n+1]</c> the scope's pause-until time (µs). <c>ARGV[1]</c> = permits (negative:
    /// give permits back), then per bucket <c>ARGV[2i]</c> = emission interval (µs) and <c>ARGV[2i+1]</c> = burst.
    /// Returns <c>{allowed, retryAfterµs, remaining, resetAfterµs, deciding bucket (1-based; 0 = paused)}</c>.
    /// A refused request changes nothing.
    /// </summary>
    public const string Acquire = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local cost = tonumber(ARGV[1])
        local n = #KEYS - 1
        local paused = tonumber(redis.call('GET', KEYS[n + 1])) or 0
        if cost > 0 and paused > now then
          return {0, paused - now, 0, paused - now, 0}
        end
        local allowed = 1
        local retry = 0
        local remaining = -1
        local reset = 0
        local index = 1
        local tats = {}
        for i = 1, n do
          local interval = tonumber(ARGV[2 * i])
          local burst = tonumber(ARGV[2 * i + 1])
          local tat = tonumber(redis.call('GET', KEYS[i])) or now
          if tat < now then tat = now end
          local capacity = burst * interval
          local new_tat = tat + cost * interval
          if new_tat < now then new_tat = now end
          local ahead = new_tat - now
          if ahead > capacity then
            local wait = ahead - capacity
            if allowed == 1 or wait > retry then
              retry = wait
              reset = tat - now
              index = i
            end
            allowed = 0
          elseif allowed == 1 then
            local left = math.floor((capacity - ahead) / interval)
            if remaining < 0 or left < remaining then
              remaining = left
              reset = ahead
              index = i
            end
          end
          tats[i] = new_tat
        end
        if allowed == 0 then
          return {0, retry, 0, reset, index}
        end
        for i = 1, n do
          local ahead = tats[i] - now
          if ahead > 0 then
            redis.call('SET', KEYS[i], string.format('%d', tats[i]), 'PX', math.ceil(ahead / 1000) + 1)
          else
            redis.call('DEL', KEYS[i])
          end
        end
        return {1, 0, remaining, reset, index}
        """;

    /// <summary>
    /// Pauses a scope: <c>KEYS[1]</c> = the pause key, <c>ARGV[1]</c> = duration (µs). Only ever extends a pause.
    /// Returns the pause's end (µs, Redis clock).
    /// </summary>
    public const string Pause = """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
        local untilTime = now + tonumber(ARGV[1])
        local current = tonumber(redis.call('GET', KEYS[1])) or 0
        if untilTime > current then
          redis.call('SET', KEYS[1], string.format('%d', untilTime), 'PX', math.ceil((untilTime - now) / 1000) + 1)
          return untilTime
        end
        return current
        """;

    /// <summary>SHA-1 of <see cref="Acquire"/> (for <c>EVALSHA</c>).</summary>
    public static byte[] AcquireHash { get; } = Sha1(Acquire);

    /// <summary>SHA-1 of <see cref="Pause"/>.</summary>
    public static byte[] PauseHash { get; } = Sha1(Pause);

#pragma warning disable CA5350 // SHA-1 is what Redis names scripts by; no security depends on it.
    private static byte[] Sha1(string script) => SHA1.HashData(Encoding.UTF8.GetBytes(script));
#pragma warning restore CA5350
}

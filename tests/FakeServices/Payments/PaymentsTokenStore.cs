using System.Collections.Concurrent;
using System.Security.Cryptography;
using Messaging.FakeServices.Instances;
using Microsoft.Extensions.Options;

namespace Messaging.FakeServices.Payments;

/// <summary>
/// The access tokens the payments provider issued: random opaque strings with their expiry. One store
/// for the provider, so a token issued by either payments instance is valid on both.
/// </summary>
internal sealed partial class PaymentsTokenStore(IOptions<FakeServicesOptions> options, TimeProvider timeProvider, ILogger<PaymentsTokenStore> logger)
{
    private const int PurgeThreshold = 10_000;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _tokens = new(StringComparer.Ordinal);
    private int _lifetimeSeconds = options.Value.Payments.TokenLifetimeSeconds;

    /// <summary>The lifetime of tokens issued from now on, in seconds.</summary>
    public int LifetimeSeconds => Volatile.Read(ref _lifetimeSeconds);

    public (string Token, int ExpiresIn) Issue()
    {
        if (_tokens.Count > PurgeThreshold)
        {
            PurgeExpired();
        }

        var lifetime = LifetimeSeconds;
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        _tokens[token] = timeProvider.GetUtcNow().AddSeconds(lifetime);
        return (token, lifetime);
    }

    /// <summary>True when the token was issued here and has not expired.</summary>
    public bool IsValid(string? token) =>
        token is not null && _tokens.TryGetValue(token, out var expiresAt) && timeProvider.GetUtcNow() < expiresAt;

    public void SetLifetime(int seconds)
    {
        Volatile.Write(ref _lifetimeSeconds, seconds);
        Log.LifetimeChanged(logger, seconds);
    }

    /// <summary>Restores the configured lifetime.</summary>
    public void ResetLifetime() => SetLifetime(options.Value.Payments.TokenLifetimeSeconds);

    /// <summary>Invalidates every issued token: the next call with any of them answers 401.</summary>
    public int ExpireAll()
    {
        var count = _tokens.Count;
        _tokens.Clear();
        Log.TokensExpired(logger, count);
        return count;
    }

    private void PurgeExpired()
    {
        var now = timeProvider.GetUtcNow();
        foreach (var (token, expiresAt) in _tokens)
        {
            if (expiresAt <= now)
            {
                _tokens.TryRemove(token, out _);
            }
        }
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static partial class Log
    {
        [LoggerMessage(EventId = 400, EventName = "TokenLifetimeChanged", Level = LogLevel.Information, Message = "Payments token lifetime set to {Seconds} s")]
        public static partial void LifetimeChanged(ILogger logger, int seconds);

        [LoggerMessage(EventId = 401, EventName = "TokensExpired", Level = LogLevel.Information, Message = "All {Count} issued payments tokens were expired")]
        public static partial void TokensExpired(ILogger logger, int count);
    }
}

using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// Limits checks of legacy (PBKDF2) secret hashes per client id, across every address and every gateway
/// (<see cref="GatewayRateLimitingOptions.LegacySecretChecks"/>). Such a check costs tens of milliseconds of CPU where
/// an HMAC check costs microseconds; unlimited, anyone who knew the id of a client not yet re-hashed could turn the
/// token endpoint into an amplifier again. The first successful check re-hashes the secret, after which this limit
/// no longer applies to the client. Permits are not given back: a client needs one success.
/// </summary>
internal sealed partial class LegacySecretCheckLimiter(
    DistributedRateLimits limits, IOptionsMonitor<GatewayRateLimitingOptions> options, ILogger<LegacySecretCheckLimiter> logger)
{
    public const string Policy = "legacy-secret-checks";

    /// <summary>Takes a permit for one legacy check of <paramref name="clientId"/> (a known client: the id came from the store).</summary>
    public async ValueTask<RateLimitDecision> AcquireAsync(string clientId, CancellationToken cancellationToken)
    {
        var decision = await limits.AcquireAsync(Policy, "client:" + clientId, options.CurrentValue.LegacySecretChecks, 1, cancellationToken).ConfigureAwait(false);
        if (!decision.IsAllowed)
        {
            Log.LegacyChecksRefused(logger, clientId, decision.RetryAfter.TotalSeconds);
        }

        return decision;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2202, EventName = "LegacySecretChecksRefused", Level = LogLevel.Warning,
            Message = "Too many checks of client {ClientId}'s legacy secret hash; its token requests are refused for {RetryAfterSeconds} s until one succeeds and re-hashes it")]
        public static partial void LegacyChecksRefused(ILogger logger, string clientId, double retryAfterSeconds);
    }
}

using System.Security.Cryptography;
using System.Text;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// Limits failed client secret checks per client id on the token endpoint, across every IP and every gateway
/// (<see cref="GatewayRateLimitingOptions.FailedSecrets"/>). A check takes a permit <em>before</em> the secret is
/// hashed, so the number of checks stays bounded even under concurrent guessing; a check that did not fail (the
/// secret was right, or the credential store could not be read) gives its permit back. The scope is the presented
/// client id whether or not such a client exists, so the answers never tell the two apart.
/// </summary>
internal sealed partial class FailedSecretLimiter(
    DistributedRateLimits limits, IOptionsMonitor<GatewayRateLimitingOptions> options, ILogger<FailedSecretLimiter> logger)
{
    public const string Policy = "client-secret-failures";

    /// <summary>Takes a permit for one secret check of <paramref name="clientId"/>; refused while that client id cools down.</summary>
    public async ValueTask<RateLimitDecision> BeginCheckAsync(string clientId, CancellationToken cancellationToken)
    {
        var decision = await limits.AcquireAsync(Policy, Scope(clientId), options.CurrentValue.FailedSecrets, 1, cancellationToken).ConfigureAwait(false);
        if (!decision.IsAllowed)
        {
            Log.SecretChecksRefused(logger, Scope(clientId), decision.RetryAfter.TotalSeconds);
        }

        return decision;
    }

    /// <summary>The check did not fail (right secret, or not checked at all): its permit goes back.</summary>
    public ValueTask NotFailedAsync(string clientId, CancellationToken cancellationToken) =>
        limits.ReleaseAsync(Policy, Scope(clientId), [new RateLimitBucket("", options.CurrentValue.FailedSecrets)], 1, cancellationToken);

    // Client ids are attacker-chosen text: short safe ones are used as they are, anything else by its hash.
    private static string Scope(string clientId)
    {
        if (clientId.Length <= 64 && clientId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            return "client:" + clientId;
        }

        return "client#" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(clientId)), 0, 16);
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, EventName = "ClientSecretChecksRefused", Level = LogLevel.Warning,
            Message = "Too many failed secret checks for {Scope}; token requests for it are refused for {RetryAfterSeconds} s")]
        public static partial void SecretChecksRefused(ILogger logger, string scope, double retryAfterSeconds);
    }
}

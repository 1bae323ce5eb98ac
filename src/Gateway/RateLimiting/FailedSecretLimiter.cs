using System.Net;
using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// Limits failed client secret checks per client id <em>and source address</em> on the token endpoint, across every
/// gateway (<see cref="GatewayRateLimitingOptions.FailedSecrets"/>). A check takes a permit <em>before</em> the secret is
/// checked, so the number of checks stays bounded even under concurrent guessing; a check that did not fail (the
/// secret was right, or it could not be checked) gives its permit back. The scope is the presented client id whether
/// or not such a client exists, so the answers never tell the two apart.
/// </summary>
/// <remarks>
/// Keyed on the address too, so that a stranger's failures spend the stranger's permits only: keyed on the id alone,
/// anyone who knew a client id could keep that client out from anywhere. Guessing from many addresses is bounded by
/// the per-IP limit; with 256-bit secrets and a check that costs microseconds it buys nothing.
/// </remarks>
internal sealed partial class FailedSecretLimiter(
    DistributedRateLimits limits, IOptionsMonitor<GatewayRateLimitingOptions> options, ILogger<FailedSecretLimiter> logger)
{
    public const string Policy = "client-secret-failures";

    /// <summary>
    /// Takes a permit for one secret check of <paramref name="clientId"/> from <paramref name="address"/>; refused while
    /// that pair cools down. The id must be well formed (<c>ClientCredentials.IsWellFormedClientId</c>): it is used in the key as it is.
    /// </summary>
    public async ValueTask<RateLimitDecision> BeginCheckAsync(string clientId, IPAddress? address, CancellationToken cancellationToken)
    {
        var scope = Scope(clientId, address);
        var decision = await limits.AcquireAsync(Policy, scope, options.CurrentValue.FailedSecrets, 1, cancellationToken).ConfigureAwait(false);
        if (!decision.IsAllowed)
        {
            Log.SecretChecksRefused(logger, scope, decision.RetryAfter.TotalSeconds);
        }

        return decision;
    }

    /// <summary>The check did not fail (right secret, or not checked at all): its permit goes back.</summary>
    public ValueTask NotFailedAsync(string clientId, IPAddress? address, CancellationToken cancellationToken) =>
        limits.ReleaseAsync(Policy, Scope(clientId, address), [new RateLimitBucket("", options.CurrentValue.FailedSecrets)], 1, cancellationToken);

    // The same address partition as the per-IP limit (an IPv6 /64 as one address).
    private static string Scope(string clientId, IPAddress? address) => $"client:{clientId}@{ClientAddress.Partition(address)}";

    private static partial class Log
    {
        [LoggerMessage(EventId = 2201, EventName = "ClientSecretChecksRefused", Level = LogLevel.Warning,
            Message = "Too many failed secret checks for {Scope}; token requests for it are refused for {RetryAfterSeconds} s")]
        public static partial void SecretChecksRefused(ILogger logger, string scope, double retryAfterSeconds);
    }
}

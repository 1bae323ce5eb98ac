using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// Takes permits from a tenant's limit (<c>RateLimiting:Tenants</c>) outside the middleware, for requests that cost more
/// than one: the middleware takes one per request, and a batch of n commands takes the other n - 1 here, from the same
/// bucket (<see cref="TenantRateLimitPolicy"/>'s scope <c>tenant:&lt;tenant&gt;</c>), so a batch costs what its items
/// sent one by one would.
/// </summary>
internal sealed class TenantPermits(DistributedRateLimits limits, IOptionsMonitor<GatewayRateLimitingOptions> options)
{
    /// <summary>The most permits the tenant's rule grants at once (its burst): a request that needs more can never pass.</summary>
    public int Capacity(string tenant) => options.CurrentValue.Tenants.RuleFor(tenant).Rule.EffectiveBurst;

    /// <summary>Takes <paramref name="permits"/> from the tenant's bucket, all or none.</summary>
    public ValueTask<RateLimitDecision> AcquireAsync(string tenant, int permits, CancellationToken cancellationToken)
    {
        var (_, rule) = options.CurrentValue.Tenants.RuleFor(tenant);
        return limits.AcquireAsync(TenantRateLimitPolicy.Name, "tenant:" + tenant, rule, permits, cancellationToken);
    }
}

using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Messaging.Resilience.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// The per-tenant limit of the commands API, as an ASP.NET Core rate limiting policy (<c>RequireRateLimiting</c>):
/// the tenant comes from the access token, so it runs after authentication; requests without a tenant are not
/// limited here (authorization refuses them next). Each tenant's limiter is a <see cref="DistributedRateLimits"/>
/// limiter on scope <c>tenant:&lt;tenant&gt;</c>, shared by every gateway through Redis.
/// </summary>
internal sealed class TenantRateLimitPolicy(DistributedRateLimits limits, IOptionsMonitor<GatewayRateLimitingOptions> options) : IRateLimiterPolicy<string>
{
    public const string Name = "tenant";

    // Tenants are few and known (they come from validated tokens); the bound only guards against surprises.
    private const int MaxCachedTenants = 10_000;
    private readonly ConcurrentDictionary<string, Partition> _partitions = new(StringComparer.Ordinal);

    public Func<OnRejectedContext, CancellationToken, ValueTask>? OnRejected => RateLimitRejection.OnRejectedAsync;

    public RateLimitPartition<string> GetPartition(HttpContext httpContext)
    {
        ArgumentNullException.ThrowIfNull(httpContext);
        var tenant = GatewayClaims.FirstValue(httpContext.User, GatewayClaims.Tenant);
        if (string.IsNullOrEmpty(tenant))
        {
            return RateLimitPartition.GetNoLimiter(string.Empty);
        }

        var (tier, rule) = options.CurrentValue.Tenants.RuleFor(tenant);

        // The same partition for as long as the tenant's tier and rule object stay (a reload binds new rule objects).
        if (_partitions.TryGetValue(tenant, out var known) && ReferenceEquals(known.Rule, rule) && known.Tier == tier)
        {
            return known.Value;
        }

        // The key carries the tier and the rule, so a configuration change takes effect at once (a new limiter on
        // the same Redis scope); the middleware disposes idle limiters.
        var partition = new Partition(tier, rule, RateLimitPartition.Get(
            $"{tenant}\n{tier}\n{rule}",
            _ => limits.CreateLimiter(Name, "tenant:" + tenant, rule)));
        if (_partitions.Count >= MaxCachedTenants)
        {
            _partitions.Clear();
        }

        _partitions[tenant] = partition;
        return partition.Value;
    }

    private sealed record Partition(string Tier, RateLimitRule Rule, RateLimitPartition<string> Value);
}

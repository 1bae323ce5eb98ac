using System.Collections.Concurrent;
using Messaging.Gateway.Auth;
using Messaging.Resilience.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>Marks the endpoints limited per tenant (<c>RateLimiting:Tenants</c>).</summary>
internal sealed class TenantRateLimitRoute
{
    public static TenantRateLimitRoute Instance { get; } = new();

    private TenantRateLimitRoute()
    {
    }
}

/// <summary>
/// The per-IP limit, before authentication: one <see cref="DistributedRateLimits"/> decision per request on the
/// client's partition (<see cref="IpRateLimiter"/>), except on endpoints with <c>DisableRateLimiting()</c>.
/// </summary>
internal sealed class IpRateLimitMiddleware(RequestDelegate next, IpRateLimiter limiter, DistributedRateLimits limits)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (GatewayRateLimitGate.IsDisabled(context.GetEndpoint()))
        {
            return next(context);
        }

        var target = limiter.Target(context);
        return GatewayRateLimitGate.ContinueAsync(context, limits.AcquireAsync(target.Policy, target.Scope, target.Rule, 1, context.RequestAborted), next);
    }
}

/// <summary>
/// The per-tenant limit, after authentication, on endpoints that <c>RequireTenantRateLimit()</c>: one
/// <see cref="DistributedRateLimits"/> decision per request on scope <c>tenant:&lt;tenant&gt;</c> with the tenant's tier
/// rule; requests without a tenant are not limited here (authorization refuses them next).
/// </summary>
internal sealed class TenantRateLimitMiddleware(RequestDelegate next, TenantRateLimits tenants, DistributedRateLimits limits)
{
    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<TenantRateLimitRoute>() is null || GatewayRateLimitGate.IsDisabled(endpoint))
        {
            return next(context);
        }

        var tenant = GatewayClaims.FirstValue(context.User, GatewayClaims.Tenant);
        if (string.IsNullOrEmpty(tenant))
        {
            return next(context);
        }

        var (scope, rule) = tenants.For(tenant);
        return GatewayRateLimitGate.ContinueAsync(context, limits.AcquireAsync(TenantRateLimits.Policy, scope, rule, 1, context.RequestAborted), next);
    }
}

/// <summary>The tenants' Redis scopes and rules, made once per tenant and rule (a reload binds new rule objects).</summary>
internal sealed class TenantRateLimits(IOptionsMonitor<GatewayRateLimitingOptions> options)
{
    /// <summary>The policy name (metric tag and <c>RateLimit-Policy</c> name).</summary>
    public const string Policy = "tenant";

    // Tenants are few and known (they come from validated tokens); the bound only guards against surprises.
    private const int MaxCachedTenants = 10_000;
    private readonly ConcurrentDictionary<string, Target> _targets = new(StringComparer.Ordinal);

    /// <summary>The scope <c>tenant:&lt;tenant&gt;</c> and the rule of the tenant's tier now.</summary>
    public (string Scope, RateLimitRule Rule) For(string tenant)
    {
        var (_, rule) = options.CurrentValue.Tenants.RuleFor(tenant);
        if (_targets.TryGetValue(tenant, out var known) && ReferenceEquals(known.Rule, rule))
        {
            return (known.Scope, rule);
        }

        var target = new Target("tenant:" + tenant, rule);
        if (_targets.Count >= MaxCachedTenants)
        {
            _targets.Clear();
        }

        _targets[tenant] = target;
        return (target.Scope, rule);
    }

    private sealed record Target(string Scope, RateLimitRule Rule);
}

/// <summary>What both limits share: the opt-out and the answer to a decision.</summary>
internal static class GatewayRateLimitGate
{
    /// <summary>Endpoints with <c>DisableRateLimiting()</c> (health, metrics) are never limited.</summary>
    public static bool IsDisabled(Endpoint? endpoint) => endpoint?.Metadata.GetMetadata<DisableRateLimitingAttribute>() is not null;

    /// <summary>Runs <paramref name="next"/> when the decision allows the request, else answers 429 (<see cref="RateLimitRejection"/>).</summary>
    public static Task ContinueAsync(HttpContext context, ValueTask<RateLimitDecision> decision, RequestDelegate next)
    {
        if (!decision.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, decision, next);
        }

        var decided = decision.Result;
        return decided.IsAllowed ? next(context) : RateLimitRejection.Result(context, decided).ExecuteAsync(context);
    }

    private static async Task AwaitAsync(HttpContext context, ValueTask<RateLimitDecision> decision, RequestDelegate next)
    {
        RateLimitDecision decided;
        try
        {
            decided = await decision.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The client went away while the decision was taken: nothing to answer (as ASP.NET Core's middleware).
            return;
        }

        if (decided.IsAllowed)
        {
            await next(context).ConfigureAwait(false);
        }
        else
        {
            await RateLimitRejection.Result(context, decided).ExecuteAsync(context).ConfigureAwait(false);
        }
    }
}

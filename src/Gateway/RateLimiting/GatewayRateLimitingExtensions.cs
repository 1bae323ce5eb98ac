using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>Marks the endpoints of a route group for its own per-IP limit (<c>RateLimiting:Routes:&lt;name&gt;:PerIp</c>).</summary>
/// <param name="Name">The route group's name.</param>
internal sealed record IpRateLimitRoute(string Name);

/// <summary>
/// The gateway's rate limits, in this order in the pipeline: exception handling → forwarded headers (known proxies
/// only) → request timeouts → per-IP limit (before authentication: floods are refused before any token is
/// validated) → authentication → per-tenant limit (needs the token's tenant) → authorization → endpoint.
/// Both limits are small middlewares that take one <see cref="DistributedRateLimits"/> decision each
/// (<see cref="IpRateLimitMiddleware"/>, <see cref="TenantRateLimitMiddleware"/>) and answer a refusal with
/// <see cref="RateLimitRejection"/>; endpoints with <c>DisableRateLimiting()</c> are not limited.
/// </summary>
internal static class GatewayRateLimitingExtensions
{
    /// <summary>Registers the limits, their options (section <c>RateLimiting</c>) and the forwarded headers settings.</summary>
    public static WebApplicationBuilder AddGatewayRateLimiting(this WebApplicationBuilder builder)
    {
        builder.AddDistributedRateLimiting();
        builder.Services.AddOptions<GatewayRateLimitingOptions>()
            .Bind(builder.Configuration.GetSection(GatewayRateLimitingOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<GatewayRateLimitingOptions>, GatewayRateLimitingOptionsValidator>();
        builder.Services.AddSingleton<IpRateLimiter>();
        builder.Services.AddSingleton<TenantRateLimits>();
        builder.Services.AddSingleton<FailedSecretLimiter>();
        builder.AddGatewayForwardedHeaders();
        return builder;
    }

    /// <summary>The per-IP limit on every route (except those with <c>DisableRateLimiting()</c>: health and metrics).</summary>
    public static WebApplication UseIpRateLimiting(this WebApplication app)
    {
        app.UseMiddleware<IpRateLimitMiddleware>();
        return app;
    }

    /// <summary>The per-tenant limit, for endpoints that <see cref="RequireTenantRateLimit{TBuilder}"/>. Call it after authentication.</summary>
    public static WebApplication UseTenantRateLimiting(this WebApplication app)
    {
        app.UseMiddleware<TenantRateLimitMiddleware>();
        return app;
    }

    /// <summary>Gives the endpoints their route group's per-IP limit, <c>RateLimiting:Routes:&lt;name&gt;:PerIp</c>.</summary>
    public static TBuilder WithIpRateLimit<TBuilder>(this TBuilder builder, string name)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IpRateLimitRoute(name));

    /// <summary>Limits the endpoints per tenant (<c>RateLimiting:Tenants</c>).</summary>
    public static TBuilder RequireTenantRateLimit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(TenantRateLimitRoute.Instance);
}

/// <summary>The per-IP limit's target: one partition per client address (and route group, when it has its own limit).</summary>
internal sealed class IpRateLimiter(IOptionsMonitor<GatewayRateLimitingOptions> options)
{
    public const string DefaultPolicy = "ip";

    /// <summary>The policy, scope and rule of <paramref name="context"/>'s request.</summary>
    public RateLimitTarget Target(HttpContext context)
    {
        var current = options.CurrentValue;
        var route = context.GetEndpoint()?.Metadata.GetMetadata<IpRateLimitRoute>()?.Name;
        var (policy, rule) = route is not null && current.Routes.TryGetValue(route, out var limits) && limits.PerIp is { } own
            ? ("ip-" + route.ToLowerInvariant(), own)
            : (DefaultPolicy, current.PerIp);
        return new RateLimitTarget(policy, policy + ":" + ClientAddress.Partition(context.Connection.RemoteIpAddress), rule);
    }
}

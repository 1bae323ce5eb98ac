using System.Threading.RateLimiting;
using Messaging.Resilience.RateLimiting;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>Marks the endpoints of a route group for its own per-IP limit (<c>RateLimiting:Routes:&lt;name&gt;:PerIp</c>).</summary>
/// <param name="Name">The route group's name.</param>
internal sealed record IpRateLimitRoute(string Name);

/// <summary>
/// The gateway's rate limits, in this order in the pipeline: exception handling → forwarded headers (known proxies
/// only) → request timeouts → per-IP limit (before authentication: floods are refused before any token is
/// validated) → authentication → per-tenant limit (needs the token's tenant) → authorization → endpoint.
/// Both limits are ASP.NET Core rate limiting middlewares over <see cref="DistributedRateLimits"/>.
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
        builder.Services.AddSingleton<FailedSecretLimiter>();
        builder.Services.AddSingleton<LegacySecretCheckLimiter>();
        builder.Services.AddSingleton<TenantPermits>();
        builder.Services.AddRateLimiter(options =>
        {
            options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            options.OnRejected = RateLimitRejection.OnRejectedAsync;
            options.AddPolicy<string, TenantRateLimitPolicy>(TenantRateLimitPolicy.Name);
        });
        builder.AddGatewayForwardedHeaders();
        return builder;
    }

    /// <summary>The per-IP limit on every route (except those with <c>DisableRateLimiting()</c>: health and metrics).</summary>
    public static WebApplication UseIpRateLimiting(this WebApplication app)
    {
        var options = new RateLimiterOptions
        {
            GlobalLimiter = app.Services.GetRequiredService<IpRateLimiter>().Limiter,
            RejectionStatusCode = StatusCodes.Status429TooManyRequests,
            OnRejected = RateLimitRejection.OnRejectedAsync,
        };

        // Endpoint policies run in the second middleware, after authentication. This one must still know their
        // names (it looks up every endpoint's policy), so here they limit nothing.
        options.AddPolicy(TenantRateLimitPolicy.Name, _ => RateLimitPartition.GetNoLimiter(string.Empty));
        app.UseRateLimiter(options);
        return app;
    }

    /// <summary>The per-tenant limit, for endpoints that <see cref="RequireTenantRateLimit{TBuilder}"/>. Call it after authentication.</summary>
    public static WebApplication UseTenantRateLimiting(this WebApplication app)
    {
        app.UseRateLimiter();
        return app;
    }

    /// <summary>Gives the endpoints their route group's per-IP limit, <c>RateLimiting:Routes:&lt;name&gt;:PerIp</c>.</summary>
    public static TBuilder WithIpRateLimit<TBuilder>(this TBuilder builder, string name)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new IpRateLimitRoute(name));

    /// <summary>Limits the endpoints per tenant (<c>RateLimiting:Tenants</c>).</summary>
    public static TBuilder RequireTenantRateLimit<TBuilder>(this TBuilder builder)
        where TBuilder : IEndpointConventionBuilder =>
        builder.RequireRateLimiting(TenantRateLimitPolicy.Name);
}

/// <summary>The per-IP limiter: one partition per client address (and route group, when it has its own limit).</summary>
internal sealed class IpRateLimiter
{
    public const string DefaultPolicy = "ip";
    private static readonly object TargetKey = new();
    private readonly IOptionsMonitor<GatewayRateLimitingOptions> _options;

    public IpRateLimiter(DistributedRateLimits limits, IOptionsMonitor<GatewayRateLimitingOptions> options)
    {
        _options = options;
        Limiter = limits.CreatePartitionedLimiter<HttpContext>(Target);
    }

    public PartitionedRateLimiter<HttpContext> Limiter { get; }

    private RateLimitTarget Target(HttpContext context)
    {
        // The middleware asks twice (synchronous attempt, then asynchronous): compute once per request.
        if (context.Items.TryGetValue(TargetKey, out var cached) && cached is RateLimitTarget known)
        {
            return known;
        }

        var current = _options.CurrentValue;
        var route = context.GetEndpoint()?.Metadata.GetMetadata<IpRateLimitRoute>()?.Name;
        var (policy, rule) = route is not null && current.Routes.TryGetValue(route, out var limits) && limits.PerIp is { } own
            ? ("ip-" + route.ToLowerInvariant(), own)
            : (DefaultPolicy, current.PerIp);
        var target = new RateLimitTarget(policy, policy + ":" + ClientAddress.Partition(context.Connection.RemoteIpAddress), rule);
        context.Items[TargetKey] = target;
        return target;
    }
}

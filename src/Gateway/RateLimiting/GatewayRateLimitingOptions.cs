using Messaging.Resilience.RateLimiting;
using Microsoft.Extensions.Options;

namespace Messaging.Gateway.RateLimiting;

/// <summary>
/// The gateway's limits (section <c>RateLimiting</c>, reloaded without restart): per client IP on every public
/// route (<see cref="PerIp"/>, overridden per route group in <see cref="Routes"/>), per tenant on the commands API
/// (<see cref="Tenants"/>), failed client secret checks per client id and address on the token endpoint
/// (<see cref="FailedSecrets"/>) and checks of legacy secret hashes per client id (<see cref="LegacySecretChecks"/>). The fallback settings (<c>InstanceShare</c>, <c>ProbeInterval</c>) are in the same
/// section (<see cref="DistributedRateLimitingOptions"/>).
/// </summary>
internal sealed class GatewayRateLimitingOptions
{
    public const string SectionName = DistributedRateLimitingOptions.SectionName;

    /// <summary>Requests per client IP on a route without its own limit.</summary>
    /// <value>The default value is 600 per minute.</value>
    public RateLimitRule PerIp { get; set; } = RateLimitRule.Create(600, TimeSpan.FromMinutes(1));

    /// <summary>Per route group (the name given to <c>WithIpRateLimit</c>): its own per-IP limit.</summary>
    public Dictionary<string, RouteRateLimitOptions> Routes { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Per-tenant limits of the commands API.</summary>
    public TenantRateLimitOptions Tenants { get; set; } = new();

    /// <summary>
    /// Failed secret checks per client id and source address on <c>POST /api/auth/token</c>. When spent, that client
    /// id's token requests from that address are answered 429 without checking the secret, until a permit comes
    /// back; a correct secret then works (and does not count). Other addresses are not affected, so a stranger's
    /// failures never lock the client out.
    /// </summary>
    /// <value>The default value is 10 per 10 minutes (after 10 quick failures, one more try per minute).</value>
    public RateLimitRule FailedSecrets { get; set; } = RateLimitRule.Create(10, TimeSpan.FromMinutes(10));

    /// <summary>
    /// Checks of a legacy (PBKDF2) secret hash per client id on <c>POST /api/auth/token</c>, from any address, right or
    /// wrong. Beyond it the client id's token requests are answered 429 without checking the secret. The first right
    /// secret re-hashes the client to HMAC, after which the limit no longer applies to it.
    /// </summary>
    /// <value>The default value is 5 per minute.</value>
    public RateLimitRule LegacySecretChecks { get; set; } = RateLimitRule.Create(5, TimeSpan.FromMinutes(1));
}

/// <summary>One route group's limits.</summary>
internal sealed class RouteRateLimitOptions
{
    /// <summary>Requests per client IP; <see langword="null"/> means the default <see cref="GatewayRateLimitingOptions.PerIp"/>.</summary>
    public RateLimitRule? PerIp { get; set; }
}

/// <summary>Per-tenant limits: a default, named tiers, and which tenant is on which tier.</summary>
internal sealed class TenantRateLimitOptions
{
    /// <summary>The limit of a tenant not assigned to a tier.</summary>
    /// <value>The default value is 1200 per minute.</value>
    public RateLimitRule Default { get; set; } = RateLimitRule.Create(1200, TimeSpan.FromMinutes(1));

    /// <summary>Named tiers (<c>RateLimiting:Tenants:Tiers:&lt;tier&gt;</c>).</summary>
    public Dictionary<string, RateLimitRule> Tiers { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Tenant → tier (<c>RateLimiting:Tenants:Assignments:&lt;tenant&gt; = &lt;tier&gt;</c>).</summary>
    public Dictionary<string, string> Assignments { get; } = new(StringComparer.Ordinal);

    /// <summary>The tier name (or <c>default</c>) and rule of <paramref name="tenant"/>.</summary>
    public (string Tier, RateLimitRule Rule) RuleFor(string tenant) =>
        Assignments.TryGetValue(tenant, out var tier) && Tiers.TryGetValue(tier, out var rule) ? (tier, rule) : ("default", Default);
}

/// <summary>Checks every rule and that each tenant's tier exists; messages name the configuration keys.</summary>
internal sealed class GatewayRateLimitingOptionsValidator : IValidateOptions<GatewayRateLimitingOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayRateLimitingOptions options)
    {
        var errors = new List<string>();
        const string Section = GatewayRateLimitingOptions.SectionName;
        Require(options.PerIp, $"{Section}:PerIp", errors);
        RateLimitingServiceCollectionExtensions.ValidateRule(options.PerIp, $"{Section}:PerIp", errors);
        foreach (var (route, limits) in options.Routes)
        {
            RateLimitingServiceCollectionExtensions.ValidateRule(limits.PerIp, $"{Section}:Routes:{route}:PerIp", errors);
        }

        Require(options.Tenants?.Default, $"{Section}:Tenants:Default", errors);
        RateLimitingServiceCollectionExtensions.ValidateRule(options.Tenants?.Default, $"{Section}:Tenants:Default", errors);
        foreach (var (tier, rule) in options.Tenants?.Tiers ?? [])
        {
            RateLimitingServiceCollectionExtensions.ValidateRule(rule, $"{Section}:Tenants:Tiers:{tier}", errors);
        }

        foreach (var (tenant, tier) in options.Tenants?.Assignments ?? [])
        {
            if (options.Tenants?.Tiers.ContainsKey(tier) != true)
            {
                errors.Add($"{Section}:Tenants:Assignments:{tenant} names tier '{tier}', which is not under {Section}:Tenants:Tiers.");
            }
        }

        Require(options.FailedSecrets, $"{Section}:FailedSecrets", errors);
        RateLimitingServiceCollectionExtensions.ValidateRule(options.FailedSecrets, $"{Section}:FailedSecrets", errors);
        Require(options.LegacySecretChecks, $"{Section}:LegacySecretChecks", errors);
        RateLimitingServiceCollectionExtensions.ValidateRule(options.LegacySecretChecks, $"{Section}:LegacySecretChecks", errors);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Require(object? value, string path, List<string> errors)
    {
        if (value is null)
        {
            errors.Add($"{path} is required.");
        }
    }
}
